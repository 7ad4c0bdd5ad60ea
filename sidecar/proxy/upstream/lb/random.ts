// RANDOM, weighted by endpoint weight (prefix sums, binary search).
import type { Host } from '../host.ts';
import type { LbContext, LoadBalancer } from './types.ts';

export class WeightedPicker {
  private readonly hosts: readonly Host[];
  private readonly cumulative: Float64Array | null;
  private readonly total: number;

  constructor(hosts: readonly Host[]) {
    this.hosts = hosts;
    const equal = hosts.every((h) => h.weight === hosts[0]!.weight);
    if (equal) {
      this.cumulative = null;
      this.total = hosts.length;
    } else {
      this.cumulative = new Float64Array(hosts.length);
      let t = 0;
      hosts.forEach((h, i) => {
        t += h.weight;
        this.cumulative![i] = t;
      });
      this.total = t;
    }
  }

  pick(): Host | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    if (this.cumulative === null) return this.hosts[Math.floor(Math.random() * n)];
    const r = Math.random() * this.total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return this.hosts[lo];
  }
}

export class RandomLb implements LoadBalancer {
  private readonly picker: WeightedPicker;

  constructor(hosts: readonly Host[]) {
    this.picker = new WeightedPicker(hosts);
  }

  choose(_ctx: LbContext): Host | undefined {
    return this.picker.pick();
  }
}
