// Keeps the status of the Ingresses pilot serves equal to the gateway's addresses
// (status.ts), in --kube mode. Triggered by config changes; a burst of changes is
// one pass after a short quiet time; writes go one at a time through the caller's
// `write` (the Kubernetes source owns the API client). A failed write is logged
// once per distinct message and retried after a backoff. The write's own watch
// event brings the new status back into the store, which ends the loop: the next
// pass finds nothing to change.
import type { ConfigSnapshot } from '../../config/types.ts';
import type { MeshConfig } from '../types.ts';
import { ingressStatusUpdates, type IngressStatusUpdate } from './status.ts';

export interface IngressStatusSyncOptions {
  snapshot: () => ConfigSnapshot;
  mesh: MeshConfig;
  write: (update: IngressStatusUpdate) => Promise<void>;
  log: { info(line: string): void; warn(line: string): void };
  /** Quiet time before a pass. Default 100 ms. */
  delayMs?: number;
  /** Wait before retrying after a failed write. Default 5 s. */
  retryMs?: number;
}

/** The kinds whose changes can change an Ingress's wanted or current status. */
export const STATUS_INPUT_KINDS: ReadonlySet<string> = new Set([
  'Ingress',
  'IngressClass',
  'Service',
]);

export class IngressStatusSync {
  readonly #options: IngressStatusSyncOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastError = '';

  constructor(options: IngressStatusSyncOptions) {
    this.#options = options;
  }

  /** Schedules a pass (coalescing with one already scheduled). */
  trigger(delayMs = this.#options.delayMs ?? 100): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.sync();
    }, delayMs);
    this.#timer.unref();
  }

  /** One pass now (after the one in flight); resolves when its writes are done. */
  async sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.trigger(0);
      }
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #pass(): Promise<void> {
    const { snapshot, mesh, write, log } = this.#options;
    let failed = false;
    let updates: IngressStatusUpdate[];
    try {
      updates = ingressStatusUpdates(snapshot(), mesh);
    } catch (err) {
      // Passes run from a timer: a throw here would end the process.
      log.warn(`ingress status: cannot compute: ${(err as Error).message}`);
      return;
    }
    for (const update of updates) {
      if (this.#stopped) return;
      const what = `ingress ${update.namespace}/${update.name}`;
      try {
        await write(update);
        const addresses = update.ingress.map((a) => a.ip ?? a.hostname).join(', ');
        log.info(`${what}: status.loadBalancer.ingress set to [${addresses}]`);
      } catch (err) {
        failed = true;
        const line = `${what}: status not written: ${(err as Error).message}; retrying`;
        if (line !== this.#lastError) log.warn(line);
        this.#lastError = line;
      }
    }
    if (!failed) this.#lastError = '';
    else this.trigger(this.#options.retryMs ?? 5_000);
  }
}
