// ROUND_ROBIN. With equal weights, a cursor over the hosts. With weights, the
// schedule is precomputed once per host-set change with smooth weighted round robin
// (nginx's algorithm), so each pick is one array read.
import type { Host } from '../host.ts';
import type { LbContext, LoadBalancer } from './types.ts';

const MAX_SCHEDULE = 4096;

export class RoundRobin implements LoadBalancer {
  private readonly schedule: Host[];
  private next: number;

  constructor(hosts: readonly Host[]) {
    this.schedule = buildSchedule(hosts);
    // Start at a random place so many proxies don't all hit the first host together.
    this.next = this.schedule.length > 0 ? Math.floor(Math.random() * this.schedule.length) : 0;
  }

  choose(_ctx: LbContext): Host | undefined {
    const s = this.schedule;
    if (s.length === 0) return undefined;
    const h = s[this.next]!;
    this.next = this.next + 1 === s.length ? 0 : this.next + 1;
    return h;
  }
}

function buildSchedule(hosts: readonly Host[]): Host[] {
  if (hosts.length === 0) return [];
  const equal = hosts.every((h) => h.weight === hosts[0]!.weight);
  if (equal) return hosts.slice();
  let weights = hosts.map((h) => h.weight);
  const g = weights.reduce(gcd);
  weights = weights.map((w) => w / g);
  let total = weights.reduce((a, b) => a + b, 0);
  if (total > MAX_SCHEDULE) {
    const f = MAX_SCHEDULE / total;
    weights = weights.map((w) => Math.max(1, Math.round(w * f)));
    total = weights.reduce((a, b) => a + b, 0);
  }
  const current = new Array<number>(hosts.length).fill(0);
  const out: Host[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < hosts.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    out.push(hosts[best]!);
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
