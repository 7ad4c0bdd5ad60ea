// Counters filters keep under Envoy's stat names (`tcp.rbac.denied`, …), one set per
// proxy (held by its runtime, so proxies sharing a process keep their own). They
// outlive config updates, as Envoy's stats do when a listener is replaced.
export interface FilterStats {
  inc(name: string): void;
  get(name: string): number;
  /** Every counter, name → value. */
  entries(): IterableIterator<[string, number]>;
}

export class CounterMap implements FilterStats {
  readonly #counters = new Map<string, number>();

  inc(name: string): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + 1);
  }

  get(name: string): number {
    return this.#counters.get(name) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#counters.entries();
  }
}
