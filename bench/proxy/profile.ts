// Where a Petrel proxy's CPU goes at its highest rate: a --cpu-prof profile
// summarised by self time per function and per file (bench/support/cpu-profile.ts)
// and by part of the data path (below: the innermost frame whose source names a
// part wins; frames of no part, like V8 builtins, count for their caller).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyTimeBy, parentsOf, sliceProfile, summarise } from '../support/cpu-profile.ts';
import type { Profile, SelfTime } from '../support/cpu-profile.ts';

const REPO_URL = new URL('../../', import.meta.url).href;

const PARTS: [RegExp, string][] = [
  [/sidecar\/telemetry\//, 'telemetry (metrics, tracing, access log)'],
  [/sidecar\/proxy\/(route|match)\//, 'routing (route match, actions)'],
  [/sidecar\/proxy\/filters\//, 'HTTP filters (fault, CORS)'],
  [/sidecar\/proxy\/upstream\//, 'upstream (clusters, LB, pools, circuit breakers)'],
  [/sidecar\/proxy\/listener\//, 'listeners (filter chain match, sniffing)'],
  [/sidecar\/proxy\/http\//, 'HTTP connection manager (headers, request/response flow)'],
  [/sidecar\/(agent|admin)\//, 'agent and admin (xDS, health)'],
  [/node_modules\/undici\//, 'undici (upstream HTTP/1.1 client)'],
  [/node:_http_|node:internal\/http/, 'node:http (downstream server, parser glue)'],
  [/node:net|node:internal\/stream_base|node:internal\/streams|node:stream/, 'sockets and streams'],
];

function partOf(url: string): string | undefined {
  for (const [re, part] of PARTS) if (re.test(url)) return part;
  return undefined;
}

/** Busy time per part of the data path, largest first (GC and native code counted apart). */
export function byPart(profile: Profile): SelfTime[] {
  const parent = parentsOf(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, string>();
  const resolve = (id: number): string => {
    const hit = memo.get(id);
    if (hit) return hit;
    const node = byId.get(id)!;
    let part = partOf(node.callFrame.url);
    if (node.callFrame.functionName === '(garbage collector)') part = 'garbage collection';
    if (!part) {
      const up = parent.get(id);
      // Frames with no source up to the root are the event loop's own native work.
      part = up === undefined ? 'other (event loop, native I/O)' : resolve(up);
    }
    memo.set(id, part);
    return part;
  };
  return busyTimeBy(profile, (node) => resolve(node.id));
}

/** Only the samples of the last `seconds` of the profile (the measured run; start-up and config loading fall before it). */
export function lastWindow(profile: Profile, seconds: number): Profile {
  return sliceProfile(profile, profile.endTime - seconds * 1e6, Infinity);
}

/**
 * Inclusive time of the functions whose source matches `source`: the share of
 * busy samples with that function anywhere on the (synchronous) stack; functions
 * from the repository's `folders` only. It says
 * what a Petrel entry point costs with everything it calls, libraries included.
 */
export function inclusive(profile: Profile, folders: readonly string[]): SelfTime[] {
  const prefixes = folders.map((f) => `${REPO_URL}${f}/`);
  const parent = parentsOf(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    let id: number | undefined = profile.samples[i]!;
    const fn = byId.get(id)!.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') continue;
    const d = profile.timeDeltas[i] ?? 0;
    total += d;
    const seen = new Set<string>();
    for (; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!prefixes.some((p) => f.url.startsWith(p))) continue;
      const key = `${f.functionName || '(anonymous)'} ${f.url.slice(REPO_URL.length)}:${(f.lineNumber ?? -1) + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      us.set(key, (us.get(key) ?? 0) + d);
    }
  }
  return [...us]
    .map(([name, t]) => ({ name, ms: t / 1000, share: total > 0 ? t / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

function rows(list: SelfTime[], top: number): string {
  return list
    .slice(0, top)
    .map(
      (r) =>
        `| ${(r.share * 100).toFixed(1)}% | ${r.ms.toFixed(0)} | ${r.name.replace(/\|/g, '\\|')} |`,
    )
    .join('\n');
}

export interface Profiled {
  label: string;
  /** Directory holding the .cpuprofile (the newest one is read). */
  dir: string;
  /** Requests served during the profiled window (from wrk). */
  requests: number;
  rps: number;
}

/** The newest .cpuprofile in `dir`, its last `seconds` only; undefined when none was written. */
export function loadProfile(
  dir: string,
  seconds: number,
): { profile: Profile; whole: Profile; file: string } | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const file = files.at(-1);
  if (!file) return undefined;
  const whole = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  return { profile: lastWindow(whole, seconds), whole, file: join(dir, file) };
}

/**
 * Markdown: busy µs per request by part of the data path, Petrel beside the
 * minimal pass-through (so what Petrel adds over plain Node shows per part), then
 * Petrel's files and functions by self time and its own functions inclusive.
 */
export function profileReport(
  petrel: Profiled,
  baseline: Profiled | undefined,
  seconds: number,
  top = 15,
): string {
  const p = loadProfile(petrel.dir, seconds);
  if (!p) return `(no .cpuprofile was written in ${petrel.dir})`;
  const b = baseline ? loadProfile(baseline.dir, seconds) : undefined;
  const s = summarise(p.profile);
  const head = '| share | ms | |\n|---|---|---|';
  const perReq = (ms: number, n: number) => ((ms * 1000) / Math.max(1, n)).toFixed(1);
  const bParts = new Map((b ? byPart(b.profile) : []).map((r) => [r.name, r.ms]));
  const pParts = byPart(p.profile);
  const names = [...new Set([...pParts.map((r) => r.name), ...bParts.keys()])];
  const pMs = new Map(pParts.map((r) => [r.name, r.ms]));
  const bTotal = b ? summarise(b.profile).totalMs : 0;
  const compare = [
    `| part | ${petrel.label} µs/req | ${baseline?.label ?? '—'} µs/req |`,
    '|---|---|---|',
    ...names.map(
      (n) =>
        `| ${n} | ${perReq(pMs.get(n) ?? 0, petrel.requests)} | ${b && baseline ? perReq(bParts.get(n) ?? 0, baseline.requests) : '—'} |`,
    ),
    `| **all busy time** | **${perReq(s.totalMs, petrel.requests)}** | **${b && baseline ? perReq(bTotal, baseline.requests) : '—'}** |`,
  ];
  return [
    `${petrel.label}: ${petrel.rps.toFixed(0)} rps under --cpu-prof, busy ${s.totalMs.toFixed(0)} ms in the last ${seconds} s (${p.file}).` +
      (baseline
        ? ` ${baseline.label}: ${baseline.rps.toFixed(0)} rps${b ? ` (${b.file})` : ', no profile written'}.`
        : ''),
    '',
    '**Busy CPU per request by part of the data path** (self time; frames without a part of their own count for their caller)',
    '',
    ...compare,
    '',
    `**${petrel.label}: by file (self time)**`,
    '',
    head,
    rows(s.byFile, top),
    '',
    `**${petrel.label}: by function (self time)**`,
    '',
    head,
    rows(s.byFunction, top + 10),
    '',
    `**${petrel.label}: its own functions, inclusive (everything they call synchronously)**`,
    '',
    head,
    rows(inclusive(p.profile, ['sidecar', 'cli']), top + 10),
  ].join('\n');
}
