// One measured row: a control plane in its own process serving M simulated
// sidecars from one config dir, through four phases — start, initial sync of all
// M, R full pushes (a VirtualService edit), R endpoint changes (an address in one
// service's endpoints) — with the control plane's CPU and memory read from /proc
// between phases. A phase that exceeds its time limit ends the row (the rest
// would measure a control plane still busy with the previous phase).
import { ClientGroup } from './client-group.ts';
import type { Progress } from './client-group.ts';
import {
  clustersOfFirstEndpoint,
  editEndpoint,
  editRoute,
  movedAddress,
  routeMarker,
} from './mesh-input.ts';
import type { MeshShape, ServiceRef } from './mesh-input.ts';
import type { RunningControlPlane } from './pilot-process.ts';
import type { MemoryProbe } from './mem-probe.ts';
import { sampleProcess } from '../support/proc-stats.ts';
import type { ProcSample } from '../support/proc-stats.ts';
import { median } from '../support/stats.ts';

export interface ScenarioOptions {
  dir: string;
  shape: MeshShape;
  services: readonly ServiceRef[];
  proxies: number;
  reps: number;
  clientProcesses: number;
  phaseTimeoutMs: number;
  /** First edit revision (markers must differ between rows sharing a dir). */
  revBase: number;
  log: (line: string) => void;
}

export interface PhaseStats {
  /** Per repetition: ms until the last watching proxy ACKed. */
  allMs: number[];
  /** Pooled over repetitions: ms until each watching proxy ACKed. */
  perProxyMs: number[];
  watching: number;
  timedOut?: string;
}

export interface ScenarioResult {
  controlPlane: string;
  proxies: number;
  startMs: number;
  /** From opening the streams to the last proxy synced, ms; undefined on timeout. */
  syncMs?: number;
  /** … to the first proxy synced. */
  syncFirstMs?: number;
  syncTimeout?: Progress & { afterS: number };
  /** Streams the control plane ended during the initial sync (each retried with Envoy's back-off). */
  syncRetries: number;
  fullPush?: PhaseStats;
  endpoint?: PhaseStats;
  /** When each phase ran, in µs of the monotonic clock V8 CPU profiles use (profile-phases.ts). */
  phases: { name: string; fromUs: number; toUs: number }[];
  /** CPU seconds per phase. */
  cpu: { start: number; sync?: number; fullPush?: number; endpoint?: number; total: number };
  rssMiB: number;
  hwmMiB: number;
  /** VmRSS right after the initial sync (the largest burst of responses). */
  rssAfterSyncMiB?: number;
  /** With `--mem`: heap and external memory after the initial sync and at the end (mem-probe.ts). */
  memAfterSync?: MemoryProbe;
  memEnd?: MemoryProbe;
  clientCpuSeconds: number;
  clientMaxRssMiB: number;
  errors: string[];
}

async function repeat(
  group: ClientGroup,
  reps: number,
  timeoutMs: number,
  run: (rep: number) => {
    kind: 'RDS' | 'EDS';
    marker: string;
    clusters?: string[];
    change: () => void;
  },
  log: (l: string) => void,
  label: string,
): Promise<PhaseStats> {
  const stats: PhaseStats = { allMs: [], perProxyMs: [], watching: 0 };
  for (let r = 0; r < reps; r++) {
    const step = run(r);
    const res = await group.watch(step.kind, step.marker, step.clusters, timeoutMs, step.change);
    stats.watching = res.watching;
    if (res.timedOut) {
      stats.timedOut = `rep ${r + 1}: not all ${res.watching} proxies had it after ${timeoutMs / 1000} s`;
      log(`  ${label}: ${stats.timedOut}`);
      break;
    }
    const all = Math.max(...res.latencies);
    stats.allMs.push(all);
    stats.perProxyMs.push(...res.latencies);
    log(
      `  ${label} ${r + 1}/${reps}: all ${res.watching} proxies in ${all.toFixed(0)} ms (median proxy ${median(res.latencies).toFixed(0)} ms)`,
    );
    // Let the control plane settle (debounce timers, GC) before the next edit.
    await new Promise((res2) => setTimeout(res2, 500));
  }
  return stats;
}

/** Now on the monotonic clock, µs: the clock of a .cpuprofile's timestamps. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function cpuDelta(a: ProcSample | undefined, b: ProcSample | undefined): number | undefined {
  return a && b ? b.cpuSeconds - a.cpuSeconds : undefined;
}

export async function runScenario(
  cp: RunningControlPlane,
  o: ScenarioOptions,
): Promise<ScenarioResult> {
  const atStart = sampleProcess(cp.pid);
  let phaseStart = monotonicUs();
  const endPhase = (name: string) => {
    const now = monotonicUs();
    result.phases.push({ name, fromUs: phaseStart, toUs: now });
    phaseStart = now;
  };
  const result: ScenarioResult = {
    controlPlane: cp.name,
    proxies: o.proxies,
    syncRetries: 0,
    startMs: cp.startMs,
    phases: [],
    cpu: { start: atStart?.cpuSeconds ?? Number.NaN, total: Number.NaN },
    rssMiB: Number.NaN,
    hwmMiB: Number.NaN,
    clientCpuSeconds: Number.NaN,
    clientMaxRssMiB: Number.NaN,
    errors: [],
  };
  const group = new ClientGroup(o.proxies, o.clientProcesses);
  try {
    const sync = await group.connect(cp.xdsTarget, o.shape.namespaces, o.phaseTimeoutMs, (p) =>
      o.log(
        `  sync: ${p.ready}/${o.proxies} synced, ${p.connected} have CDS, ${p.retried} streams retried${p.lastError ? ` (last: ${p.lastError})` : ''}`,
      ),
    );
    const afterSync = sampleProcess(cp.pid);
    result.rssAfterSyncMiB = afterSync?.rssMiB;
    endPhase('initial sync');
    result.cpu.sync = cpuDelta(atStart, afterSync);
    result.memAfterSync = await cp.probe?.();
    // The probe's full GC is not the next phase's work.
    const pushBase = result.memAfterSync ? sampleProcess(cp.pid) : afterSync;
    phaseStart = monotonicUs();
    result.syncFirstMs = sync.firstMs;
    result.syncRetries = group.progress().retried;
    if (sync.allMs === undefined) {
      result.syncTimeout = { ...group.progress(), afterS: o.phaseTimeoutMs / 1000 };
      o.log(
        `  sync: timed out, ${result.syncTimeout.ready}/${o.proxies} synced after ${o.phaseTimeoutMs / 1000} s`,
      );
      return result;
    }
    result.syncMs = sync.allMs;
    o.log(
      `  sync: all ${o.proxies} proxies synced in ${sync.allMs.toFixed(0)} ms (the first in ${sync.firstMs?.toFixed(0)} ms)`,
    );

    // A change every proxy sees: one VirtualService's header match value, in the
    // route config of its port that every sidecar holds.
    const routed = o.services[0]!;
    result.fullPush = await repeat(
      group,
      o.reps,
      o.phaseTimeoutMs,
      (r) => {
        const rev = o.revBase + r + 1;
        return {
          kind: 'RDS',
          marker: routeMarker(rev),
          change: () => editRoute(o.dir, routed, rev),
        };
      },
      o.log,
      'full push',
    );
    const afterPush = sampleProcess(cp.pid);
    endPhase('full pushes');
    result.cpu.fullPush = cpuDelta(pushBase, afterPush);
    if (result.fullPush.timedOut) return result;

    // One endpoint moves: a different service each repetition.
    result.endpoint = await repeat(
      group,
      o.reps,
      o.phaseTimeoutMs,
      (r) => {
        const s = o.services[(1 + r) % o.services.length]!;
        const rev = o.revBase + r + 1;
        return {
          kind: 'EDS',
          marker: movedAddress(rev),
          clusters: clustersOfFirstEndpoint(s),
          change: () => editEndpoint(o.dir, o.shape, s, rev),
        };
      },
      o.log,
      'endpoint',
    );
    result.cpu.endpoint = cpuDelta(afterPush, sampleProcess(cp.pid));
    endPhase('endpoint changes');
    return result;
  } finally {
    const end = sampleProcess(cp.pid);
    if (end) {
      result.cpu.total = end.cpuSeconds;
      result.rssMiB = end.rssMiB;
      result.hwmMiB = end.hwmMiB;
      result.memEnd = await cp.probe?.();
    }
    const client = await group.stop();
    result.clientCpuSeconds = client.cpuSeconds;
    result.clientMaxRssMiB = client.maxRssMiB;
    result.errors = cp.errors();
  }
}
