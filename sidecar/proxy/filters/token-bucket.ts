// Envoy's local rate limit token bucket: starts full with max_tokens; every
// fill_interval (counted from creation) tokens_per_fill are added, up to max_tokens.
// Refills are computed when a request comes, so no timer runs per bucket.

export class TokenBucket {
  readonly maxTokens: number;
  private readonly perFill: number;
  private readonly intervalMs: number;
  private tokens: number;
  /** Time of the last fill boundary passed (ms, monotonic). */
  private lastFill: number;
  private readonly now: () => number;

  constructor(
    maxTokens: number,
    perFill: number,
    intervalMs: number,
    now: () => number = () => performance.now(),
  ) {
    this.maxTokens = maxTokens;
    this.perFill = perFill;
    this.intervalMs = intervalMs;
    this.tokens = maxTokens;
    this.now = now;
    this.lastFill = now();
  }

  private refill(): void {
    const elapsed = this.now() - this.lastFill;
    if (elapsed < this.intervalMs) return;
    const fills = Math.floor(elapsed / this.intervalMs);
    this.lastFill += fills * this.intervalMs;
    this.tokens = Math.min(this.maxTokens, this.tokens + fills * this.perFill);
  }

  /** Takes one token; false when the bucket is empty. */
  consume(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  get remaining(): number {
    this.refill();
    return this.tokens;
  }

  /** Whole seconds until the next fill (x-ratelimit-reset), at least 1 while one is pending. */
  get resetSeconds(): number {
    this.refill();
    return Math.max(0, Math.ceil((this.lastFill + this.intervalMs - this.now()) / 1000));
  }
}
