// Jittered exponential backoff for re-dialling the control plane, like gRPC's
// connection backoff: the delay doubles from `initialMs` up to `maxMs`, and each
// wait is drawn uniformly from [delay * (1 - jitter), delay * (1 + jitter)], capped
// at maxMs, so a fleet of proxies does not reconnect in lock step after a pilot restart.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  multiplier?: number;
  /** Fraction of the delay to randomise, 0..1. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly #multiplier: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #next: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.#multiplier = options.multiplier ?? 2;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
    this.#next = this.initialMs;
  }

  /** The wait before the next attempt; each call lengthens the following one. */
  nextDelayMs(): number {
    const base = this.#next;
    this.#next = Math.min(this.maxMs, base * this.#multiplier);
    const spread = base * this.#jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.min(this.maxMs, Math.round(base + spread)));
  }

  /** After a stream that worked (it got a response), start again from the initial delay. */
  reset(): void {
    this.#next = this.initialMs;
  }
}
