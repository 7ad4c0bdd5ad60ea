// Requests from all ADS streams, handled one at a time with an event-loop turn
// between them. A request can mean generating and encoding a proxy's whole CDS
// or EDS (hundreds of ms at N=1000); handled inside gRPC's data callback, the
// first requests of hundreds of streams opened at once (a pilot restart) would
// run back to back and no response would be flushed until all were generated.
// Queued, each answer leaves as soon as it is written, and ACKs, pushes and the
// monitoring endpoints interleave. FIFO keeps each stream's requests in order.
// The gate holds the queue while too many answers wait to be written out.

export class RequestQueue {
  #tasks: (() => void)[] = [];
  #head = 0;
  #scheduled = false;
  readonly #onError: (err: unknown) => void;
  /** Undefined to go on, or a promise to wait for first (send-budget.ts). */
  readonly #gate: () => Promise<void> | undefined;

  constructor(
    onError: (err: unknown) => void,
    gate: () => Promise<void> | undefined = () => undefined,
  ) {
    this.#onError = onError;
    this.#gate = gate;
  }

  /** Requests waiting (for metrics and tests). */
  get pending(): number {
    return this.#tasks.length - this.#head;
  }

  enqueue(task: () => void): void {
    this.#tasks.push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#runOne());
    }
  }

  #runOne(): void {
    const wait = this.#gate();
    if (wait) {
      void wait.then(() => this.#runOne());
      return;
    }
    const task = this.#tasks[this.#head];
    this.#tasks[this.#head++] = undefined as unknown as () => void;
    if (this.#head > 1024 && this.#head * 2 > this.#tasks.length) {
      this.#tasks = this.#tasks.slice(this.#head);
      this.#head = 0;
    }
    try {
      task?.();
    } catch (err) {
      this.#onError(err);
    }
    if (this.pending > 0) setImmediate(() => this.#runOne());
    else this.#scheduled = false;
  }
}
