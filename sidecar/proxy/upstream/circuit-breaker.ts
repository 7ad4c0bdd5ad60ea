// Envoy's per-cluster circuit breakers (DEFAULT priority thresholds). Over a
// threshold the request fails at once with 503 and response flag UO.
// HTTP/1.1 carries one request per connection at a time, so a request beyond
// max_connections waits as "pending" for a connection to free up; beyond
// max_pending_requests it overflows. max_requests caps concurrency for any protocol.

export interface CircuitBreakerLimits {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export const DEFAULT_LIMITS: CircuitBreakerLimits = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
};

/** A pending request's place in the queue; cancel it if the downstream goes away. */
export interface PendingTicket {
  cancelled: boolean;
  start: () => void;
}

export class CircuitBreaker {
  readonly limits: CircuitBreakerLimits;
  activeRequests = 0;
  activeH1 = 0;
  pending = 0;
  activeRetries = 0;
  private readonly queue: PendingTicket[] = [];

  constructor(limits: CircuitBreakerLimits) {
    this.limits = limits;
  }

  /**
   * Admits a request: calls `start` now, or queues it as pending and returns its
   * ticket, or returns null on overflow. Every admitted request must `release`.
   */
  admit(h1: boolean, start: () => void): PendingTicket | null | true {
    if (this.activeRequests + this.pending >= this.limits.maxRequests) return null;
    if (!h1) {
      this.activeRequests++;
      start();
      return true;
    }
    if (this.activeH1 < this.limits.maxConnections) {
      this.activeRequests++;
      this.activeH1++;
      start();
      return true;
    }
    if (this.pending >= this.limits.maxPendingRequests) return null;
    const ticket: PendingTicket = { cancelled: false, start };
    this.pending++;
    this.queue.push(ticket);
    return ticket;
  }

  cancel(ticket: PendingTicket): void {
    if (ticket.cancelled) return;
    const i = this.queue.indexOf(ticket);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.pending--;
    }
    ticket.cancelled = true;
  }

  release(h1: boolean): void {
    this.activeRequests--;
    if (!h1) return;
    this.activeH1--;
    const next = this.queue.shift();
    if (next) {
      this.pending--;
      this.activeRequests++;
      this.activeH1++;
      next.start();
    }
  }

  tryRetry(): boolean {
    if (this.activeRetries >= this.limits.maxRetries) return false;
    this.activeRetries++;
    return true;
  }

  retryDone(): void {
    this.activeRetries--;
  }
}
