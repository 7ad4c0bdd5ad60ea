// What holds a V8 heap snapshot's memory (one written by mem-probe.ts):
//
//   node bench/pilot/heap-summary.ts FILE.heapsnapshot [--top 40] [--class Name …]
//
// Prints self size by constructor, the most repeated strings, and the objects
// that hold the most through a shortest-path tree from the GC roots (each
// object counted under the first path that reaches it: an approximation of
// retained size that needs no dominator tree). Snapshots of a pilot at scale
// are hundreds of MiB, past what JSON.parse takes as one string, so the
// numeric arrays are read as a stream of digits.
import { openSync, readSync, closeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

/** Reads the file's sections: meta (JSON), nodes/edges (numbers), strings (JSON). */
function readSnapshot(file: string) {
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 24);
  let section = 'text';
  let text = '';
  let head: string | undefined;
  const nodes: number[] = [];
  const edges: number[] = [];
  let num = -1;
  const utf8 = new StringDecoder('utf8');
  const stringParts: string[] = [];
  let pending: Buffer | undefined;
  for (;;) {
    const buf = pending ?? chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, null));
    pending = undefined;
    if (buf.length === 0) break;
    if (section === 'strings') {
      stringParts.push(utf8.write(buf));
      continue;
    }
    if (section === 'text') {
      // Between the arrays: look for the next section's key.
      text += buf.toString('latin1');
      const m = /"(nodes|edges|strings)":\[/.exec(text);
      if (!m) {
        if (head !== undefined) text = text.slice(-32);
        continue;
      }
      head ??= text.slice(0, m.index);
      section = m[1]!;
      pending = Buffer.from(text.slice(m.index + m[0].length), 'latin1');
      text = '';
      continue;
    }
    const target = section === 'nodes' ? nodes : edges;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) num = (num < 0 ? 0 : num * 10) + (c - 48);
      else {
        if (num >= 0) target.push(num);
        num = -1;
        if (c === 93 /* ] */) {
          section = 'text';
          pending = buf.subarray(i + 1);
          break;
        }
      }
    }
  }
  closeSync(fd);
  const tail = stringParts.join('') + utf8.end();
  const strings = JSON.parse('[' + tail.slice(0, tail.lastIndexOf(']') + 1)) as string[];
  const meta = (JSON.parse(head!.trim().replace(/,$/, '') + '}') as { snapshot: { meta: Meta } })
    .snapshot.meta;
  return { meta, nodes, edges, strings };
}

const { values, positionals } = parseArgs({
  options: {
    top: { type: 'string' },
    class: { type: 'string', multiple: true },
    paths: { type: 'string', multiple: true },
  },
  allowPositionals: true,
});
const top = Number(values.top ?? 40);
const snap = readSnapshot(positionals[0]!);
const { meta, nodes, edges, strings } = snap;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
  meta.node_fields.indexOf(f),
) as [number, number, number, number];
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) =>
  meta.edge_fields.indexOf(f),
) as [number, number, number];
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const count = nodes.length / NF;
const firstEdge = new Uint32Array(count + 1);
for (let n = 0; n < count; n++) firstEdge[n + 1] = firstEdge[n]! + nodes[n * NF + nEdges]! * EF;
const label = (n: number) => {
  const t = nodeTypes[nodes[n * NF + nType]!]!;
  const name = strings[nodes[n * NF + nName]!] ?? '';
  return t === 'object' || t === 'closure' ? name : `(${t})${t === 'native' ? ' ' + name : ''}`;
};
const MiB = (b: number) => (b / 1048576).toFixed(1).padStart(7);

// Self size by constructor.
const byCtor = new Map<string, { size: number; count: number }>();
let total = 0;
for (let n = 0; n < count; n++) {
  const size = nodes[n * NF + nSize]!;
  total += size;
  const k = label(n);
  const e = byCtor.get(k) ?? { size: 0, count: 0 };
  e.size += size;
  e.count++;
  byCtor.set(k, e);
}
console.log(`${count} objects, ${MiB(total)} MiB self size\n\nself size by constructor:`);
for (const [k, e] of [...byCtor].sort((a, b) => b[1].size - a[1].size).slice(0, top))
  console.log(`${MiB(e.size)} MiB ${String(e.count).padStart(9)}  ${k.slice(0, 100)}`);

// Repeated strings: the same text held many times.
const stringType = nodeTypes.indexOf('string');
const dup = new Map<string, { size: number; count: number }>();
for (let n = 0; n < count; n++) {
  if (nodes[n * NF + nType] !== stringType) continue;
  const s = strings[nodes[n * NF + nName]!]!;
  const e = dup.get(s) ?? { size: 0, count: 0 };
  e.size += nodes[n * NF + nSize]!;
  e.count++;
  dup.set(s, e);
}
let dupBytes = 0;
for (const e of dup.values()) if (e.count > 1) dupBytes += (e.size * (e.count - 1)) / e.count;
console.log(`\nstrings held more than once: ${MiB(dupBytes)} MiB in extra copies; the most:`);
for (const [s, e] of [...dup].sort((a, b) => b[1].size - a[1].size).slice(0, 15))
  if (e.count > 1)
    console.log(
      `${MiB(e.size)} MiB ${String(e.count).padStart(9)}  ${JSON.stringify(s.slice(0, 80))}`,
    );

// Shortest-path tree from the root (node 0), skipping weak edges.
const weak = edgeTypes.indexOf('weak');
const parent = new Int32Array(count).fill(-1);
const via = new Int32Array(count).fill(-1);
const order: number[] = [0];
parent[0] = 0;
for (let q = 0; q < order.length; q++) {
  const n = order[q]!;
  for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += EF) {
    if (edges[e + eType] === weak) continue;
    const to = edges[e + eTo]! / NF;
    if (parent[to] !== -1) continue;
    parent[to] = n;
    via[to] = e;
    order.push(to);
  }
}
const held = new Float64Array(count);
for (let q = order.length - 1; q >= 0; q--) {
  const n = order[q]!;
  held[n] += nodes[n * NF + nSize]!;
  if (n !== 0) held[parent[n]!] += held[n]!;
}
const edgeName = (e: number) => {
  const t = edgeTypes[edges[e + eType]!];
  const v = edges[e + eName]!;
  return t === 'element' || t === 'hidden' ? `[${v}]` : String(strings[v]);
};
const path = (n: number) => {
  const parts: string[] = [];
  for (let m = n; m !== 0 && parts.length < 8; m = parent[m]!)
    parts.unshift(`${label(parent[m]!)}.${edgeName(via[m]!)}`);
  return parts.join(' → ');
};
// Show holders that are not just a link in a chain: held ≥ 1 MiB and less than 90% of the parent.
console.log('\nheld through the shortest-path tree (≥ 2 MiB, not most of their parent):');
const shown = order
  .filter((n) => held[n]! >= 2 * 1048576 && n !== 0 && held[n]! < 0.9 * held[parent[n]!]!)
  .sort((a, b) => held[b]! - held[a]!)
  .slice(0, top);
for (const n of shown) console.log(`${MiB(held[n]!)} MiB  ${label(n)}  ← ${path(n)}`);

// --class NAME: what instances of NAME hold, summed by the edge to each child.
for (const cls of values.class ?? []) {
  const byEdge = new Map<string, number>();
  let instances = 0;
  let sum = 0;
  for (let n = 0; n < count; n++) {
    if (label(n) !== cls) continue;
    instances++;
    sum += held[n]!;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += EF) {
      const to = edges[e + eTo]! / NF;
      if (parent[to] !== n || via[to] !== e) continue;
      const k = `${edgeName(e)}: ${label(to)}`;
      byEdge.set(k, (byEdge.get(k) ?? 0) + held[to]!);
    }
  }
  console.log(`\n${cls}: ${instances} instances hold ${MiB(sum)} MiB; by field:`);
  for (const [k, v] of [...byEdge].sort((a, b) => b[1] - a[1]).slice(0, 20))
    console.log(`${MiB(v)} MiB  ${k.slice(0, 120)}`);
}

// The largest single objects (array buffer backing stores, big arrays) and their paths.
const largest = [...Array(count).keys()]
  .sort((a, b) => nodes[b * NF + nSize]! - nodes[a * NF + nSize]!)
  .slice(0, Math.min(top, 25));
console.log('\nlargest objects:');
for (const n of largest)
  console.log(`${MiB(nodes[n * NF + nSize]!)} MiB  ${label(n)}  ← ${path(n)}`);

// --paths LABEL: the self size of LABEL's objects summed by the last steps of their path.
for (const what of values.paths ?? []) {
  const byPath = new Map<string, { size: number; count: number }>();
  for (let n = 0; n < count; n++) {
    if (label(n) !== what || parent[n] === -1) continue;
    const key = path(n)
      .split(' → ')
      .slice(-6)
      .join(' → ')
      .replace(/\[\d+\]|\.\d+\b/g, '[n]')
      .replace(/@\d+/g, '@');
    const e = byPath.get(key) ?? { size: 0, count: 0 };
    e.size += nodes[n * NF + nSize]!;
    e.count++;
    byPath.set(key, e);
  }
  console.log(`\n${what} by path:`);
  for (const [k, e] of [...byPath].sort((a, b) => b[1].size - a[1].size).slice(0, 15))
    console.log(`${MiB(e.size)} MiB ${String(e.count).padStart(8)}  ${k.slice(0, 260)}`);
}
