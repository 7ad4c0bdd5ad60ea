// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per function and
// per source file, so a README can say where the time goes without a GUI.
// Usage: node bench/support/cpu-profile.ts FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** The samples of `profile` taken within [fromUs, toUs). */
export function sliceProfile(profile: Profile, fromUs: number, toUs: number): Profile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t >= toUs) continue;
    samples.push(profile.samples[i]!);
    timeDeltas.push(profile.timeDeltas[i] ?? 0);
  }
  return {
    ...profile,
    startTime: Math.max(fromUs, profile.startTime),
    endTime: Math.min(toUs, profile.endTime),
    samples,
    timeDeltas,
  };
}

/** Each node's caller: V8 lists children only. */
export function parentsOf(profile: Profile): Map<number, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  return parent;
}

/** Busy time (idle and program samples left out) per label of the sampled node, largest first. */
export function busyTimeBy(profile: Profile, label: (node: ProfileNode) => string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') continue;
    const d = profile.timeDeltas[i] ?? 0;
    total += d;
    const name = label(node);
    us.set(name, (us.get(name) ?? 0) + d);
  }
  return [...us]
    .map(([name, t]) => ({ name, ms: t / 1000, share: total > 0 ? t / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const at = url.indexOf('/node_modules/');
  if (at >= 0) return url.slice(at + 1);
  const main = url.indexOf('/work/main/');
  return main >= 0 ? url.slice(main + '/work/main/'.length) : url.replace(/^file:\/\//, '');
}

/**
 * pilot's stages, by the source of a frame. A sample belongs to the stage of
 * its innermost frame that has one (protobufjs under api/envoy is encoding,
 * under @grpc the gRPC write; generated code, which has no url, follows its
 * caller) — except that PushContext lookups made by generators count as
 * generation, and only the PushContext's own build counts as model build.
 */
const ENCODING = 'encoding (Envoy object → protobuf, checks, hash)';
const GRPC = 'gRPC (serialize DiscoveryResponse, HTTP/2 writes and reads)';
const GENERATION = 'generation (pilot/translate, with the model lookups it makes)';
const STAGES: [RegExp, string][] = [
  [/api\/envoy\/|pilot\/xds\/encode\.ts|node:internal\/crypto/, ENCODING],
  [/@grpc\/|node:internal\/http2|node:internal\/stream_base_commons|node:net/, GRPC],
  [/pilot\/translate\//, GENERATION],
  [/pilot\/model\/|pilot\/lazy-push\.ts/, 'model build (PushContext, indexes)'],
  [
    /pilot\/config\/|node_modules\/yaml\/|node_modules\/zod\/|api\/istio\/|node:internal\/fs/,
    'config read + validate (file source, store)',
  ],
  [/pilot\/xds\//, 'ADS bookkeeping (pilot/xds)'],
];

function stageOf(url: string): string | undefined {
  for (const [re, stage] of STAGES) if (re.test(url)) return stage;
  return undefined;
}

/** Busy time per stage, largest first. */
export function byStage(profile: Profile): SelfTime[] {
  const parent = parentsOf(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, { inner?: string; underTranslate: boolean }>();
  // Iterative walk up to the root: stacks can be deeper than JS recursion likes.
  const path = (id: number): { inner?: string; underTranslate: boolean } => {
    const chain: number[] = [];
    let cur: number | undefined = id;
    while (cur !== undefined && !memo.has(cur)) {
      chain.push(cur);
      cur = parent.get(cur);
    }
    let above = cur !== undefined ? memo.get(cur)! : { underTranslate: false };
    for (let i = chain.length - 1; i >= 0; i--) {
      const own = stageOf(byId.get(chain[i]!)!.callFrame.url);
      above = {
        inner: own ?? above.inner,
        underTranslate: above.underTranslate || own === GENERATION,
      };
      memo.set(chain[i]!, above);
    }
    return memo.get(id)!;
  };
  return busyTimeBy(profile, (node) => {
    const fn = node.callFrame.functionName;
    const p = path(node.id);
    return fn === '(garbage collector)'
      ? 'garbage collection'
      : p.inner === ENCODING || p.inner === GRPC
        ? p.inner
        : p.underTranslate
          ? GENERATION
          : (p.inner ?? 'other (startup, module loading, timers)');
  });
}

/** Self time per function ("name file:line") and per file, largest first. */
export function summarise(profile: Profile): {
  byFunction: SelfTime[];
  byFile: SelfTime[];
  byStage: SelfTime[];
  totalMs: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    total += us;
    const where = shortUrl(f.url);
    const fname = `${f.functionName || '(anonymous)'} ${where}:${(f.lineNumber ?? -1) + 1}`;
    fn.set(fname, (fn.get(fname) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
  }
  const list = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return {
    byFunction: list(fn),
    byFile: list(file),
    byStage: byStage(profile),
    totalMs: total / 1000,
  };
}

/** Long names (V8 names a RegExp by its source) cut to one readable line. */
export function shorten(name: string, max = 120): string {
  return name.length <= max ? name : `${name.slice(0, max - 1)}…`;
}

function print(title: string, rows: SelfTime[], top: number): void {
  console.log(`\n${title}`);
  for (const r of rows.slice(0, top))
    console.log(
      `${r.ms.toFixed(0).padStart(9)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${shorten(r.name)}`,
    );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = process.argv[2];
  if (!path) {
    console.error('usage: node bench/support/cpu-profile.ts FILE.cpuprofile [top]');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const s = summarise(JSON.parse(readFileSync(path, 'utf8')) as Profile);
  // Sample intervals are wall time: on a loaded machine they include time the
  // thread waited for a core, so compare shares, not milliseconds, across runs.
  console.log(`busy (non-idle) samples: ${s.totalMs.toFixed(0)} ms`);
  print('busy time by pilot stage', s.byStage, top);
  print('self time by file', s.byFile, top);
  print('self time by function', s.byFunction, top);
}
