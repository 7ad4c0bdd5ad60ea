// The benchmark's table: one column per control plane, one row per measure,
// printed as Markdown so it can go into bench/README.md as it is.
import type { ScenarioResult, PhaseStats } from './scenario.ts';
import type { TranslateResult } from './translate-time.ts';
import type { MemoryProbe } from './mem-probe.ts';
import { median, ms, quantile } from '../support/stats.ts';

export interface Column {
  title: string;
  translate?: TranslateResult;
  scenario?: ScenarioResult;
  /** Why the column has no numbers (e.g. not built). */
  note?: string;
}

function secs(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '—' : v.toFixed(1);
}

function phase(p: PhaseStats | undefined, skipped: string): string[] {
  if (!p) return [skipped, skipped];
  const n = p.allMs.length;
  const all =
    n === 0
      ? (p.timedOut ?? '—')
      : `${ms(median(p.allMs), 0)} / ${ms(quantile(p.allMs, 0.9), 0)} (${n} reps${p.timedOut ? `; then ${p.timedOut}` : ''})`;
  const per =
    n === 0
      ? '—'
      : `${ms(median(p.perProxyMs), 0)} / ${ms(quantile(p.perProxyMs, 0.9), 0)} (${p.watching} proxies)`;
  return [all, per];
}

function perRep(cpu: number | undefined, p: PhaseStats | undefined): string {
  if (cpu === undefined || !p || p.allMs.length === 0) return secs(cpu);
  return `${secs(cpu)} (${(cpu / p.allMs.length).toFixed(2)} per change)`;
}

const mib = (b: number | undefined) => (b === undefined ? '—' : (b / 1048576).toFixed(0));
const heapExt = (m: NodeJS.MemoryUsage | undefined) =>
  m ? `${mib(m.heapUsed)} / ${mib(m.external)} (${mib(m.arrayBuffers)})` : '—';

function memCell(p: MemoryProbe | undefined): string {
  if (!p) return '—';
  return `${heapExt(p.before)} → ${heapExt(p.afterGc)}`;
}

export function table(columns: readonly Column[]): string {
  const rows: [string, ...string[]][] = [];
  const add = (label: string, cell: (c: Column) => string): void => {
    rows.push([
      label,
      ...columns.map((c) => (c.note && !c.scenario && !c.translate ? c.note : cell(c))),
    ]);
  };
  add('resources per proxy (LDS/RDS/CDS/EDS), encoded size', (c) => {
    const t = c.translate;
    if (!t) return 'n/a (not in process)';
    const k = t.counts;
    return `${k.LDS ?? 0}/${k.RDS ?? 0}/${k.CDS ?? 0}/${k.EDS ?? 0}, ${(t.bytes / 1024 / 1024).toFixed(2)} MiB`;
  });
  add('translation: build PushContext, ms', (c) => (c.translate ? ms(c.translate.buildMs) : 'n/a'));
  add('translation: generate LDS+RDS+CDS+EDS, first proxy / next proxy, ms', (c) =>
    c.translate ? `${ms(c.translate.generateFirstMs)} / ${ms(c.translate.generateNextMs)}` : 'n/a',
  );
  add('translation: encode (protobuf + checks), ms', (c) =>
    c.translate ? ms(c.translate.encodeMs) : 'n/a',
  );
  add('translation: total for one proxy, wall ms (CPU ms), median of runs', (c) =>
    c.translate
      ? `${ms(c.translate.totalMs)} (${ms(c.translate.totalCpuMs)}), ${c.translate.runs} runs`
      : 'n/a',
  );
  add('start: spawn → serving with config loaded, ms', (c) => ms(c.scenario?.startMs, 0));
  add('initial sync (M streams opened at once) → first proxy / all M synced, ms', (c) => {
    const s = c.scenario;
    if (!s) return '—';
    if (s.syncTimeout)
      return `${ms(s.syncFirstMs, 0)} / timeout: ${s.syncTimeout.ready} of ${c.scenario?.proxies} synced (${s.syncTimeout.connected} had CDS) after ${s.syncTimeout.afterS} s`;
    return `${ms(s.syncFirstMs, 0)} / ${ms(s.syncMs, 0)}`;
  });
  add('  streams the control plane ended during sync (retried with Envoy back-off)', (c) =>
    c.scenario ? String(c.scenario.syncRetries) : '—',
  );
  const skipped = (c: Column) => (c.scenario?.syncTimeout ? 'not run (sync timed out)' : '—');
  add(
    'full push (VirtualService edit) → all M ACKed, ms: median / p90',
    (c) => phase(c.scenario?.fullPush, skipped(c))[0]!,
  );
  add('  per proxy, ms: median / p90', (c) => phase(c.scenario?.fullPush, skipped(c))[1]!);
  add(
    'endpoint change → all watching proxies ACKed, ms: median / p90',
    (c) => phase(c.scenario?.endpoint, skipped(c))[0]!,
  );
  add('  per proxy, ms: median / p90', (c) => phase(c.scenario?.endpoint, skipped(c))[1]!);
  add(
    'pilot CPU s: start / sync',
    (c) => `${secs(c.scenario?.cpu.start)} / ${secs(c.scenario?.cpu.sync)}`,
  );
  add('pilot CPU s: full pushes', (c) => perRep(c.scenario?.cpu.fullPush, c.scenario?.fullPush));
  add('pilot CPU s: endpoint changes', (c) =>
    perRep(c.scenario?.cpu.endpoint, c.scenario?.endpoint),
  );
  add('pilot CPU s: whole run', (c) => secs(c.scenario?.cpu.total));
  add('pilot VmRSS after the initial sync, MiB', (c) => ms(c.scenario?.rssAfterSyncMiB, 0));
  add(
    'pilot VmRSS at end / VmHWM, MiB',
    (c) => `${ms(c.scenario?.rssMiB, 0)} / ${ms(c.scenario?.hwmMiB, 0)}`,
  );
  if (columns.some((c) => c.scenario?.memEnd)) {
    add(
      'pilot heap used / external (array buffers), MiB, after sync: as found → after full GC',
      (c) => memCell(c.scenario?.memAfterSync),
    );
    add('… at end: as found → after full GC', (c) => memCell(c.scenario?.memEnd));
  }
  add(
    'client process CPU s / peak RSS MiB',
    (c) => `${secs(c.scenario?.clientCpuSeconds)} / ${ms(c.scenario?.clientMaxRssMiB, 0)}`,
  );

  const header = ['measure', ...columns.map((c) => c.title)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}
