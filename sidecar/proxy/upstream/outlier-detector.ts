// Passive health checking (envoy.config.cluster.v3.OutlierDetection): consecutive
// 5xx, consecutive gateway failures and success rate. Consecutive-error ejections
// happen at once; un-ejection and success-rate analysis run every `interval`.
import type { Host } from './host.ts';

export interface OutlierSpec {
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
  consecutive5xx: number;
  enforcing5xx: number;
  consecutiveGateway: number;
  enforcingGateway: number;
  splitLocalOrigin: boolean;
  consecutiveLocal: number;
  enforcingLocal: number;
  successRateMinHosts: number;
  successRateVolume: number;
  successRateStdevFactor: number;
  enforcingSuccessRate: number;
}

interface Counters {
  total: number;
  success: number;
  localFailures: number;
}

export class OutlierDetector {
  private readonly spec: OutlierSpec;
  private readonly hosts: () => readonly Host[];
  private readonly changed: () => void;
  private readonly counters = new WeakMap<Host, Counters>();
  private timer: NodeJS.Timeout | null = null;

  constructor(spec: OutlierSpec, hosts: () => readonly Host[], changed: () => void) {
    this.spec = spec;
    this.hosts = hosts;
    this.changed = changed;
    this.timer = setInterval(() => this.tick(), spec.intervalMs);
    this.timer.unref();
  }

  /** `status` is the upstream HTTP status, or 0 for a local-origin failure (connect failure, reset, timeout). */
  report(host: Host, status: number): void {
    const c = this.countersOf(host);
    c.total++;
    const local = status === 0;
    if (local && this.spec.splitLocalOrigin) {
      c.localFailures++;
      if (c.localFailures >= this.spec.consecutiveLocal)
        this.maybeEject(host, this.spec.enforcingLocal);
      return;
    }
    if (this.spec.splitLocalOrigin) c.localFailures = 0;
    // Without split_external_local_origin_errors, local failures count as 5xx and gateway errors.
    const is5xx = local || status >= 500;
    const isGateway = local || status === 502 || status === 503 || status === 504;
    if (!is5xx) c.success++;
    host.consecutive5xx = is5xx ? host.consecutive5xx + 1 : 0;
    host.consecutiveGatewayFailure = isGateway ? host.consecutiveGatewayFailure + 1 : 0;
    if (host.ejected) return;
    if (
      is5xx &&
      host.consecutive5xx >= this.spec.consecutive5xx &&
      this.maybeEject(host, this.spec.enforcing5xx)
    )
      return;
    if (isGateway && host.consecutiveGatewayFailure >= this.spec.consecutiveGateway)
      this.maybeEject(host, this.spec.enforcingGateway);
  }

  private countersOf(host: Host): Counters {
    let c = this.counters.get(host);
    if (!c) this.counters.set(host, (c = { total: 0, success: 0, localFailures: 0 }));
    return c;
  }

  private maybeEject(host: Host, enforcing: number): boolean {
    if (host.ejected || Math.random() * 100 >= enforcing) return false;
    const all = this.hosts();
    const ejected = all.filter((h) => h.ejected).length;
    // Envoy ejects at least one host whatever max_ejection_percent says.
    if (ejected > 0 && ((ejected + 1) * 100) / all.length > this.spec.maxEjectionPercent)
      return false;
    host.ejected = true;
    host.ejectionCount++;
    host.ejectedUntil =
      Date.now() +
      Math.min(
        this.spec.baseEjectionMs * host.ejectionCount,
        Math.max(this.spec.maxEjectionMs, this.spec.baseEjectionMs),
      );
    host.consecutive5xx = 0;
    host.consecutiveGatewayFailure = 0;
    this.changed();
    return true;
  }

  private tick(): void {
    const now = Date.now();
    let changed = false;
    const hosts = this.hosts();
    for (const h of hosts) {
      if (h.ejected && now >= h.ejectedUntil) {
        h.ejected = false;
        changed = true;
      } else if (
        !h.ejected &&
        h.ejectionCount > 0 &&
        now >= h.ejectedUntil + this.spec.intervalMs
      ) {
        // A host that stayed healthy for an interval earns back one step of its ejection multiplier.
        h.ejectionCount--;
      }
    }
    if (changed) this.changed();
    this.successRate(hosts);
    for (const h of hosts) {
      const c = this.counters.get(h);
      if (c) c.total = c.success = 0;
    }
  }

  private successRate(hosts: readonly Host[]): void {
    if (this.spec.enforcingSuccessRate <= 0) return;
    const rates: { host: Host; rate: number }[] = [];
    for (const h of hosts) {
      const c = this.counters.get(h);
      if (c && !h.ejected && c.total >= this.spec.successRateVolume)
        rates.push({ host: h, rate: (c.success * 100) / c.total });
    }
    if (rates.length < this.spec.successRateMinHosts || rates.length === 0) return;
    const mean = rates.reduce((a, r) => a + r.rate, 0) / rates.length;
    const stdev = Math.sqrt(rates.reduce((a, r) => a + (r.rate - mean) ** 2, 0) / rates.length);
    const threshold = mean - (this.spec.successRateStdevFactor / 1000) * stdev;
    for (const r of rates)
      if (r.rate < threshold) this.maybeEject(r.host, this.spec.enforcingSuccessRate);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
