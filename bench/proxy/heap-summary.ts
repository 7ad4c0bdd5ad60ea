// Sums a V8 .heapsnapshot's self sizes by node type and constructor name: which
// kinds of object hold the proxy's heap (compiled code, protobufjs reflection,
// per-connection state, strings), without opening DevTools.
//   node bench/proxy/heap-summary.ts FILE.heapsnapshot [TOP]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  key: string;
  count: number;
  bytes: number;
}

/** Groups: strings, code and arrays by type; objects and closures by name. */
export function summariseHeap(file: string): { total: number; groups: HeapGroup[] } {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const byKey = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    const size = s.nodes[i + iSize]!;
    total += size;
    const name = s.strings[s.nodes[i + iName]!]!;
    const key =
      type === 'object' || type === 'closure' || type === 'native'
        ? `${type} ${name.slice(0, 60)}`
        : type === 'code' || type === 'hidden'
          ? `${type} ${name.replace(/\s.*$/, '').slice(0, 40)}`
          : `(${type})`;
    const g = byKey.get(key) ?? { key, count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    byKey.set(key, g);
  }
  return { total, groups: [...byKey.values()].sort((a, b) => b.bytes - a.bytes) };
}

if (import.meta.main) {
  const [file, top = '30'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/proxy/heap-summary.ts FILE.heapsnapshot [TOP]');
    process.exit(2);
  }
  const { total, groups } = summariseHeap(file);
  console.log(`total self size ${(total / 2 ** 20).toFixed(1)} MiB`);
  console.log('| kind | count | MiB |\n|---|---|---|');
  for (const g of groups.slice(0, Number(top)))
    console.log(`| ${g.key} | ${g.count} | ${(g.bytes / 2 ** 20).toFixed(2)} |`);
}
