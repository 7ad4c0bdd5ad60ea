// What mutual TLS adds between two proxies: each mTLS row against its plaintext
// twin (same processes or same topology, same run). Latency deltas are taken per
// repetition (the two rows ran minutes apart at most, interleaved), then the
// median; CPU, RSS and the highest rate are the rows' medians side by side.
import { median } from '../support/stats.ts';
import type { ConfigResult } from './matrix.ts';
import { MTLS_PAIRS } from './options.ts';
import { f, markdownTable } from './report.ts';
import type { Summary } from './report.ts';

const signed = (v: number, d = 2): string => (v >= 0 ? `+${f(v, d)}` : f(v, d));

export function mtlsDeltaTable(results: ConfigResult[], rows: Summary[]): string {
  const byKey = (k: string) => results.find((r) => r.config.key === k);
  const rowOf = (r: ConfigResult) => rows.find((s) => s.name === r.config.name);
  const head = [
    'mTLS vs plaintext',
    'mTLS adds p50 / p90 / p99 ms',
    'CPU ms per req per proxy at fixed rate: plaintext → mTLS',
    'at max: plaintext → mTLS',
    'peak RSS MiB: plaintext → mTLS',
    'max rps: plaintext → mTLS',
  ];
  const lines: string[][] = [];
  for (const pair of MTLS_PAIRS) {
    const plain = byKey(pair.plain);
    const mtls = byKey(pair.mtls);
    if (!plain || !mtls) continue;
    const delta = (pick: (x: ConfigResult['reps'][number]) => number): number =>
      median(
        mtls.reps.flatMap((m) => {
          const p = plain.reps.find((x) => x.rep === m.rep);
          return p ? [pick(m) - pick(p)] : [];
        }),
      );
    const a = rowOf(plain)!;
    const b = rowOf(mtls)!;
    const arrow = (x: number | undefined, y: number | undefined, d: number) =>
      `${f(x, d)} → ${f(y, d)}${x !== undefined && y !== undefined ? ` (${signed(y - x, d)})` : ''}`;
    const rate = (x: number | undefined) => f(x, 0);
    const conn = pair.plain.endsWith('-conn');
    lines.push([
      `${pair.what}${conn ? `, at ${f(plain.config.qps, 0)} new connections/s` : ''}`,
      `${signed(delta((r) => r.fixed.p50))} / ${signed(delta((r) => r.fixed.p90))} / ${signed(delta((r) => r.fixed.p99))}`,
      arrow(a.cpuMsPerReq, b.cpuMsPerReq, 3),
      arrow(a.cpuMsPerReqAtMax, b.cpuMsPerReqAtMax, 3),
      `${f(a.hwmPeakMiB, 0)} → ${f(b.hwmPeakMiB, 0)}`,
      `${rate(a.maxRps)} → ${rate(b.maxRps)}${a.maxRps && b.maxRps ? ` (×${f(b.maxRps / a.maxRps)})` : ''}${conn ? ' new connections/s' : ''}`,
    ]);
  }
  return lines.length > 0 ? markdownTable(head, lines) : '';
}
