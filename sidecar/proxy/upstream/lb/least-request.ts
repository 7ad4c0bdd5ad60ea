// LEAST_REQUEST: power of N choices (choice_count, default 2) among weighted random
// candidates; the one with the fewest active requests wins.
import type { Host } from '../host.ts';
import { WeightedPicker } from './random.ts';
import type { LbContext, LoadBalancer } from './types.ts';

export class LeastRequest implements LoadBalancer {
  private readonly picker: WeightedPicker;
  private readonly choices: number;
  private readonly single: Host | undefined;

  constructor(hosts: readonly Host[], choiceCount: number) {
    this.picker = new WeightedPicker(hosts);
    this.choices = Math.max(2, choiceCount);
    this.single = hosts.length === 1 ? hosts[0] : undefined;
  }

  choose(_ctx: LbContext): Host | undefined {
    if (this.single) return this.single;
    let best = this.picker.pick();
    if (best === undefined) return undefined;
    for (let i = 1; i < this.choices; i++) {
      const c = this.picker.pick()!;
      if (c.activeRequests < best.activeRequests) best = c;
    }
    return best;
  }
}
