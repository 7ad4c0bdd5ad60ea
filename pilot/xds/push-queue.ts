// Debounces push requests the way istiod does: wait until no new request came
// for `quietMs`, but never longer than `maxMs` after the first one, merging all
// requests in between. One merged push is dispatched at a time; requests that
// arrive meanwhile are debounced into the next.
import type { MergedPushRequest, PushRequest } from './types.ts';

export interface PushQueueOptions<Push> {
  quietMs: number;
  maxMs: number;
  dispatch: (push: Push, request: MergedPushRequest) => Promise<void>;
  /** Seconds the merged request waited in debounce, and its reasons. */
  onDebounced?: (waitedSeconds: number, request: MergedPushRequest) => void;
  onError?: (err: unknown) => void;
}

export function mergePushRequests(a: MergedPushRequest, b: PushRequest): MergedPushRequest {
  const configsUpdated = new Set(a.configsUpdated);
  for (const k of b.configsUpdated) configsUpdated.add(k);
  return {
    full: a.full || b.full,
    configsUpdated,
    reason: [...a.reason, ...b.reason],
    startedAt: a.startedAt,
  };
}

export class PushQueue<Push> {
  private readonly opts: PushQueueOptions<Push>;
  private pending?: { push: Push; request: MergedPushRequest };
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(opts: PushQueueOptions<Push>) {
    this.opts = opts;
  }

  enqueue(push: Push, request: PushRequest): void {
    if (this.closed) return;
    const now = performance.now();
    this.pending = this.pending
      ? { push, request: mergePushRequests(this.pending.request, request) }
      : {
          push,
          request: {
            ...request,
            configsUpdated: new Set(request.configsUpdated),
            reason: [...request.reason],
            startedAt: now,
          },
        };
    this.schedule();
  }

  /** Dispatches whatever is pending now, skipping the debounce wait. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.pending) await this.run();
  }

  /** Resolves when nothing is pending or being dispatched. */
  idle(): Promise<void> {
    if (!this.pending && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    if (!this.running) this.notifyIdle();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending || this.running) return; // re-scheduled when the running dispatch ends
    // Each new request restarts the quiet period, capped by the max delay since the first.
    const sinceFirst = performance.now() - this.pending.request.startedAt;
    const delay = Math.max(0, Math.min(this.opts.quietMs, this.opts.maxMs - sinceFirst));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
  }

  private async run(): Promise<void> {
    const next = this.pending;
    if (!next || this.running) return;
    this.pending = undefined;
    this.opts.onDebounced?.((performance.now() - next.request.startedAt) / 1000, next.request);
    this.running = this.opts
      .dispatch(next.push, next.request)
      .catch((err) => this.opts.onError?.(err));
    await this.running;
    this.running = undefined;
    if (this.pending && !this.closed) this.schedule();
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
