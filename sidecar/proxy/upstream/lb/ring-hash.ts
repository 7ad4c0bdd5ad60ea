// RING_HASH (Ketama-style consistent hashing). Each host gets ring entries in
// proportion to its weight, between minimum_ring_size and maximum_ring_size in
// total; a request's hash picks the first entry at or after it on the ring.
// Requests without a hash get a random point, as Envoy does.
import type { Host } from '../host.ts';
import { hash32 } from './hash.ts';
import type { LbContext, LoadBalancer } from './types.ts';

export class RingHash implements LoadBalancer {
  private readonly points: Uint32Array;
  private readonly owners: Host[];

  constructor(hosts: readonly Host[], minSize: number, maxSize: number) {
    const totalWeight = hosts.reduce((a, h) => a + h.weight, 0);
    const entries: { h: number; host: Host }[] = [];
    if (totalWeight > 0) {
      const minWeight = Math.min(...hosts.map((h) => h.weight));
      // Enough entries that the lightest host still gets its share, bounded by maxSize.
      const scale =
        Math.min(
          Math.ceil((minSize * minWeight) / totalWeight) * (totalWeight / minWeight),
          maxSize,
        ) / totalWeight;
      for (const host of hosts) {
        const n = Math.max(1, Math.round(host.weight * scale));
        for (let i = 0; i < n; i++) entries.push({ h: hash32(`${host.key}_${i}`), host });
      }
    }
    entries.sort((a, b) => a.h - b.h);
    this.points = Uint32Array.from(entries, (e) => e.h);
    this.owners = entries.map((e) => e.host);
  }

  choose(ctx: LbContext): Host | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    const h = ctx.hash === undefined ? (Math.random() * 0x100000000) >>> 0 : ctx.hash;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    let i = lo === n ? 0 : lo;
    // A retry that rejected this host walks on to the next distinct host on the ring.
    let host = this.owners[i]!;
    for (let skip = ctx.rejected, steps = 0; skip > 0 && steps < n; steps++) {
      i = i + 1 === n ? 0 : i + 1;
      if (this.owners[i] !== host) {
        host = this.owners[i]!;
        skip--;
      }
    }
    return host;
  }
}
