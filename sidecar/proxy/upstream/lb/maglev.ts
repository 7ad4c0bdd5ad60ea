// MAGLEV (Eisenbud et al., NSDI 2016) with Envoy's weighting: each host fills
// lookup-table slots through its own permutation, heavier hosts on more rounds.
// The table is built once per host-set change; a pick is one modulo and one read.
import type { Host } from '../host.ts';
import { fmix32, hash32 } from './hash.ts';
import type { LbContext, LoadBalancer } from './types.ts';

export class Maglev implements LoadBalancer {
  private readonly table: Host[];

  constructor(hosts: readonly Host[], tableSize: number) {
    this.table = hosts.length === 0 ? [] : build(hosts, tableSize);
  }

  choose(ctx: LbContext): Host | undefined {
    const m = this.table.length;
    if (m === 0) return undefined;
    let h = ctx.hash === undefined ? (Math.random() * 0x100000000) >>> 0 : ctx.hash;
    // Retries that rejected a host rehash, so they land elsewhere in the table.
    for (let i = 0; i < ctx.rejected; i++) h = fmix32(h + 0x9e3779b9);
    return this.table[h % m];
  }
}

function build(hosts: readonly Host[], m: number): Host[] {
  const maxWeight = Math.max(...hosts.map((h) => h.weight));
  const entries = hosts.map((host) => ({
    host,
    offset: hash32(host.key) % m,
    skip: (hash32(host.key, 0x2545f491) % (m - 1)) + 1,
    weight: host.weight / maxWeight,
    target: 0,
    next: 0,
  }));
  const table = new Array<Host | undefined>(m);
  let filled = 0;
  for (let iteration = 1; filled < m; iteration++) {
    for (const e of entries) {
      if (filled >= m) break;
      // A host with the largest weight takes a slot every round; one with a third of it, every third round.
      if (iteration * e.weight < e.target) continue;
      e.target += 1;
      let c = (e.offset + e.skip * e.next) % m;
      while (table[c] !== undefined) {
        e.next++;
        c = (e.offset + e.skip * e.next) % m;
      }
      table[c] = e.host;
      e.next++;
      filled++;
    }
  }
  return table as Host[];
}
