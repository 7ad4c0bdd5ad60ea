// The names a set of resources is waiting for before it counts as warm (clusters
// wait for their ClusterLoadAssignments, listeners for their RouteConfigurations).
// Each name has its own deadline from its config source's initial_fetch_timeout,
// as each Envoy init target does; a name whose deadline passes stops blocking
// (Envoy then serves without it), and 0 means wait for ever.

export class Warming {
  readonly #deadlines = new Map<string, number>();
  readonly #onWarm: (timedOut: string[]) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timedOut: string[] = [];

  /** `onWarm` runs (from a timer) when the last awaited name times out. */
  constructor(onWarm: (timedOut: string[]) => void, now: () => number = Date.now) {
    this.#onWarm = onWarm;
    this.#now = now;
  }

  get active(): boolean {
    return this.#deadlines.size > 0;
  }

  /** Names still awaited, sorted. */
  pending(): string[] {
    return [...this.#deadlines.keys()].sort();
  }

  has(name: string): boolean {
    return this.#deadlines.has(name);
  }

  /** Starts waiting for `name` for `timeoutMs` (0: for ever); a name already awaited keeps its deadline. */
  await(name: string, timeoutMs: number): void {
    if (this.#deadlines.has(name)) return;
    this.#deadlines.set(name, timeoutMs > 0 ? this.#now() + timeoutMs : Infinity);
    this.#arm();
  }

  /** Stops waiting for the names for which `arrived` says yes, or that are no longer wanted. */
  settle(arrived: (name: string) => boolean): void {
    for (const name of [...this.#deadlines.keys()]) if (arrived(name)) this.#deadlines.delete(name);
    if (!this.active) this.#timedOut = [];
    this.#arm();
  }

  /** Forgets everything (client closing). */
  clear(): void {
    this.#deadlines.clear();
    this.#arm();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = Math.min(...this.#deadlines.values());
    if (!Number.isFinite(next)) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, next - this.#now()));
    // A warming deadline alone must not keep the process alive.
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#now();
    for (const [name, deadline] of this.#deadlines) {
      if (deadline <= now) {
        this.#deadlines.delete(name);
        this.#timedOut.push(name);
      }
    }
    this.#arm();
    if (!this.active) {
      const timedOut = this.#timedOut;
      this.#timedOut = [];
      this.#onWarm(timedOut);
    }
  }
}
