// One measurement of one configuration, and the interleaved repetitions of all of
// them: configurations take turns within a repetition (in a rotated order), so
// a slow minute on this shared machine lands on all of them rather than on one.
import { readFileSync } from 'node:fs';
import { sampleProcess } from '../support/proc-stats.ts';
import { fixedRate, maxRate } from './load.ts';
import type { FixedRateResult, MaxRateResult, Tools } from './load.ts';
import type { Placement, Running } from './processes.ts';

export interface Config {
  /** The --only name (petrel, petrel-2-mtls, …; `direct` for the base). */
  key: string;
  name: string;
  /** Proxies between client and backend (0 for direct). */
  hops: number;
  url: string;
  /** The proxy processes whose CPU and memory are counted. */
  procs: Running[];
  /** Also find its highest rate (not for direct: that is the backend's and the client's). */
  maxRun: boolean;
  /** Its own fixed rate (the new-connection rows run slower than --qps). */
  qps?: number;
  /** More fortio and wrk flags (a Host header for the sidecar rows, a fresh connection per request). */
  fortioArgs?: readonly string[];
  wrkArgs?: readonly string[];
}

export interface RepResult {
  rep: number;
  fixed: FixedRateResult;
  /** CPU seconds of all `procs` during the fixed-rate run. */
  fixedCpuS: number;
  /** Busy share of the proxy core spent by processes other than `procs` during the fixed-rate run. */
  foreignShare: number;
  max?: MaxRateResult;
  maxCpuS?: number;
  maxWallS?: number;
}

export interface ConfigResult {
  config: Config;
  reps: RepResult[];
  /** Largest VmHWM over the procs once started and configured, before any load, MiB. */
  hwmIdleMiB?: number;
  /** Largest VmHWM over the procs after the first fixed-rate run (before any max-rate run), MiB. */
  hwmAfterFixedMiB?: number;
  /** Largest VmHWM over the procs at the end, MiB. */
  hwmPeakMiB?: number;
}

export interface MatrixOptions {
  tools: Tools;
  load: Placement;
  proxyCore: number;
  reps: number;
  qps: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  maxSeconds: number;
  maxConnections: number;
  workDir: string;
  log: (line: string) => void;
}

function cpuOf(procs: Running[]): number {
  let s = 0;
  for (const p of procs) s += sampleProcess(p.pid)?.cpuSeconds ?? Number.NaN;
  return s;
}

function hwmOf(procs: Running[]): number | undefined {
  const v = procs.map((p) => sampleProcess(p.pid)?.hwmMiB ?? 0);
  return v.length ? Math.max(...v) : undefined;
}

/** Busy and total jiffies of one CPU from /proc/stat. */
function coreTicks(core: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  const f = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function measureOnce(c: Config, rep: number, o: MatrixOptions): Promise<RepResult> {
  const tag = `${c.key}-${rep}`;
  const load = { qps: c.qps ?? o.qps, connections: o.connections, extraArgs: c.fortioArgs };
  await fixedRate(o.tools, o.load, c.url, {
    ...load,
    seconds: o.warmupSeconds,
    workDir: o.workDir,
    tag: `${tag}-warm`,
  });
  const cpu0 = cpuOf(c.procs);
  const core0 = coreTicks(o.proxyCore);
  const fixed = await fixedRate(o.tools, o.load, c.url, {
    ...load,
    seconds: o.seconds,
    workDir: o.workDir,
    tag,
  });
  const fixedCpuS = cpuOf(c.procs) - cpu0;
  const core1 = coreTicks(o.proxyCore);
  // Jiffies are 1/100 s: busy jiffies of the core minus our own CPU seconds is what others took.
  const coreBusyS = (core1.busy - core0.busy) / 100;
  const coreTotalS = (core1.total - core0.total) / 100;
  const foreignShare = coreTotalS > 0 ? Math.max(0, coreBusyS - fixedCpuS) / coreTotalS : 0;
  const r: RepResult = { rep, fixed, fixedCpuS, foreignShare };
  return r;
}

async function measureMax(c: Config, r: RepResult, o: MatrixOptions): Promise<void> {
  const cpu0 = cpuOf(c.procs);
  const t0 = performance.now();
  r.max = await maxRate(o.tools, o.load, c.url, {
    seconds: o.maxSeconds,
    connections: o.maxConnections,
    extraArgs: c.wrkArgs,
  });
  r.maxWallS = (performance.now() - t0) / 1000;
  r.maxCpuS = cpuOf(c.procs) - cpu0;
}

export async function runMatrix(configs: Config[], o: MatrixOptions): Promise<ConfigResult[]> {
  const results = configs.map((config): ConfigResult => ({
    config,
    reps: [],
    hwmIdleMiB: hwmOf(config.procs),
  }));
  for (let rep = 1; rep <= o.reps; rep++) {
    const order = results.map((_, i) => results[(i + rep - 1) % results.length]!);
    for (const res of order) {
      const c = res.config;
      const r = await measureOnce(c, rep, o);
      if (res.hwmAfterFixedMiB === undefined) res.hwmAfterFixedMiB = hwmOf(c.procs);
      if (c.maxRun) await measureMax(c, r, o);
      res.reps.push(r);
      const f = r.fixed;
      o.log(
        `rep ${rep} ${c.name}: p50 ${f.p50.toFixed(3)} p90 ${f.p90.toFixed(3)} p99 ${f.p99.toFixed(3)} ms, ` +
          `${f.requests} req (${f.errors} errors), cpu ${((r.fixedCpuS * 1000) / Math.max(1, f.requests)).toFixed(4)} ms/req, ` +
          `others on proxy core ${(r.foreignShare * 100).toFixed(0)}%` +
          (r.max ? `; max ${r.max.rps.toFixed(0)} rps (${r.max.errors} errors)` : ''),
      );
    }
  }
  for (const res of results) res.hwmPeakMiB = hwmOf(res.config.procs);
  return results;
}
