// The results table (Markdown, so it goes into bench/proxy/README.md as printed)
// and the check against the Proxy issue's targets.
import { median } from '../support/stats.ts';
import type { ConfigResult, RepResult } from './matrix.ts';

export interface Summary {
  name: string;
  hops: number;
  /** Latency added over direct, ms: median over repetitions of (config − direct in the same repetition). */
  addedP50: number;
  addedP90: number;
  addedP99: number;
  p999: number;
  max: number;
  /** CPU ms per request per proxy (= CPU seconds per 1000 requests). */
  cpuMsPerReq: number;
  /** The same during the max-rate run, where work is batched per wake-up. */
  cpuMsPerReqAtMax?: number;
  hwmIdleMiB?: number;
  hwmAfterFixedMiB?: number;
  hwmPeakMiB?: number;
  maxRps?: number;
  /** Share of one core the proxies used during the max-rate run. */
  coreUseAtMax?: number;
  errors: number;
  foreignShare: number;
}

/** A figure with `d` decimals, "—" when missing. */
export const f = (v: number | undefined, d = 2): string =>
  v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d);

/** A Markdown table: the header, its rule, then one line per row of cells. */
export function markdownTable(head: readonly string[], rows: readonly string[][]): string {
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function summarise(results: ConfigResult[], directName: string): Summary[] {
  const direct = results.find((r) => r.config.name === directName);
  const base = (rep: number): RepResult | undefined => direct?.reps.find((r) => r.rep === rep);
  return results.map((res) => {
    const added = (pick: (r: RepResult) => number): number =>
      median(res.reps.map((r) => pick(r) - (res === direct ? 0 : pick(base(r.rep) ?? r))));
    const hops = Math.max(1, res.config.hops);
    const maxed = res.reps.filter((r) => r.max);
    return {
      name: res.config.name,
      hops: res.config.hops,
      addedP50: added((r) => r.fixed.p50),
      addedP90: added((r) => r.fixed.p90),
      addedP99: added((r) => r.fixed.p99),
      p999: median(res.reps.map((r) => r.fixed.p999)),
      max: median(res.reps.map((r) => r.fixed.max)),
      cpuMsPerReq: median(
        res.reps.map((r) => (r.fixedCpuS * 1000) / Math.max(1, r.fixed.requests) / hops),
      ),
      cpuMsPerReqAtMax: maxed.length
        ? median(maxed.map((r) => (r.maxCpuS! * 1000) / Math.max(1, r.max!.requests) / hops))
        : undefined,
      hwmIdleMiB: res.config.procs.length ? res.hwmIdleMiB : undefined,
      hwmAfterFixedMiB: res.config.procs.length ? res.hwmAfterFixedMiB : undefined,
      hwmPeakMiB: res.config.procs.length ? res.hwmPeakMiB : undefined,
      maxRps: maxed.length ? median(maxed.map((r) => r.max!.rps)) : undefined,
      coreUseAtMax: maxed.length ? median(maxed.map((r) => r.maxCpuS! / r.maxWallS!)) : undefined,
      errors: res.reps.reduce((a, r) => a + r.fixed.errors + (r.max?.errors ?? 0), 0),
      foreignShare: median(res.reps.map((r) => r.foreignShare)),
    };
  });
}

export function table(rows: Summary[]): string {
  const head = [
    'config',
    'added p50 / p90 / p99 ms',
    'p99.9 / max ms (absolute)',
    'CPU ms per req per proxy, at 1000 rps / at max',
    'RSS MiB idle / after 1000 rps / peak',
    'max rps (proxy core)',
    'proxy CPU at max',
    'errors',
    'others on proxy core',
  ];
  const cells = rows.map((s) => [
    s.name,
    s.hops === 0
      ? `(absolute) ${f(s.addedP50)} / ${f(s.addedP90)} / ${f(s.addedP99)}`
      : `+${f(s.addedP50)} / +${f(s.addedP90)} / +${f(s.addedP99)}`,
    `${f(s.p999)} / ${f(s.max, 1)}`,
    s.hops === 0 ? '—' : `${f(s.cpuMsPerReq, 3)} / ${f(s.cpuMsPerReqAtMax, 3)}`,
    s.hwmPeakMiB === undefined
      ? '—'
      : `${f(s.hwmIdleMiB, 0)} / ${f(s.hwmAfterFixedMiB, 0)} / ${f(s.hwmPeakMiB, 0)}`,
    s.maxRps === undefined ? '—' : f(s.maxRps, 0),
    s.coreUseAtMax === undefined ? '—' : `${f(s.coreUseAtMax * 100, 0)}%`,
    String(s.errors),
    `${f(s.foreignShare * 100, 0)}%`,
  ]);
  return markdownTable(head, cells);
}

/** The Proxy issue's targets for Petrel, one line each: measured, target, met or not. */
export function verdict(
  rows: Summary[],
  names: { petrel: string; mtlsPair: string; passthrough: string; fastify: string },
): string {
  const by = (n: string) => rows.find((r) => r.name === n);
  const out: string[] = [];
  const check = (
    what: string,
    value: number | undefined,
    target: number | undefined,
    unit: string,
    atMost: boolean,
  ) => {
    if (value === undefined || target === undefined || Number.isNaN(value) || Number.isNaN(target))
      return;
    const ok = atMost ? value <= target : value >= target;
    out.push(
      `- ${what}: ${f(value, unit === 'rps' ? 0 : 3)} ${unit} (target ${atMost ? '≤' : '≥'} ${f(target, unit === 'rps' ? 0 : 3)}) — ${ok ? 'met' : 'NOT met'}`,
    );
  };
  const p = by(names.petrel);
  const pt = by(names.passthrough);
  const fy = by(names.fastify);
  if (p) {
    check('added p50 per proxy', p.addedP50, 0.3, 'ms', true);
    check('added p99 per proxy', p.addedP99, 0.5, 'ms', true);
    check('CPU per request at 1000 rps', p.cpuMsPerReq, 0.07, 'ms', true);
    check('CPU per request at the highest rate', p.cpuMsPerReqAtMax, 0.07, 'ms', true);
    check('peak RSS', p.hwmPeakMiB, 60, 'MiB', true);
    check('max rps on one core vs the minimal pass-through', p.maxRps, pt?.maxRps, 'rps', false);
    check(
      'max rps on one core vs 1.5× @fastify/http-proxy (stretch)',
      p.maxRps,
      fy?.maxRps !== undefined ? fy.maxRps * 1.5 : undefined,
      'rps',
      false,
    );
  }
  if (p && pt)
    out.push(
      `- relative to the minimal pass-through in the same run: CPU per request ×${f(p.cpuMsPerReq / pt.cpuMsPerReq)} at 1000 rps, ×${f((p.cpuMsPerReqAtMax ?? NaN) / (pt.cpuMsPerReqAtMax ?? NaN))} at max; added p50 ×${f(p.addedP50 / pt.addedP50)}; peak RSS ×${f((p.hwmPeakMiB ?? NaN) / (pt.hwmPeakMiB ?? NaN))}`,
    );
  check(
    'two proxies (sidecars) with mTLS, added p99',
    by(names.mtlsPair)?.addedP99,
    1.5,
    'ms',
    true,
  );
  return out.join('\n');
}
