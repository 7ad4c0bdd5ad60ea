// Shutting the proxy down the way Istio's pilot-agent does on SIGTERM: readiness
// turns 503 at once (so the pod leaves the Service's endpoints), the data path stops
// accepting new connections while in-flight requests finish, for at most the drain
// period (Istio's terminationDrainDuration, 5 s by default); only then the xDS
// stream closes (config, e.g. endpoint removals, keeps arriving while draining), the
// agent's servers close, and the process exits.
import type { DataPlane } from '../types.ts';
import { errorLine } from './errors.ts';
import type { Readiness } from './health.ts';
import type { Logger } from './log.ts';

/**
 * The data plane with the optional drain hooks the agent calls. (Proposed for
 * sidecar/types.ts: `drain?()` and `close?()` on DataPlane itself.)
 */
/** Kept as a name for readability; drain/close are part of DataPlane itself. */
export type DrainableDataPlane = DataPlane;

export type LifecycleState = 'running' | 'draining' | 'stopped';

export interface LifecycleOptions {
  readiness: Readiness;
  dataPlane: DrainableDataPlane;
  xds: { close(): Promise<void> | void };
  /** Longest wait for in-flight work, ms; Istio's terminationDrainDuration default is 5 s. */
  drainDurationMs?: number;
  /** Closed after the xDS stream (admin, health and status servers). */
  servers?: ReadonlyArray<{ close(): Promise<void> | void }>;
  exit?: (code: number) => void;
  log?: Logger;
}

export class Lifecycle {
  readonly #options: LifecycleOptions;
  #state: LifecycleState = 'running';
  #done: Promise<void> | undefined;

  constructor(options: LifecycleOptions) {
    this.#options = options;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Starts the drain-and-exit sequence; later calls return the same promise. */
  shutdown(reason: string): Promise<void> {
    this.#done ??= this.#run(reason);
    return this.#done;
  }

  /** SIGTERM and SIGINT start the shutdown; returns a function that removes the handlers. */
  installSignalHandlers(target: NodeJS.Process = process): () => void {
    const onSignal = (signal: NodeJS.Signals) => void this.shutdown(`received ${signal}`);
    target.on('SIGTERM', onSignal);
    target.on('SIGINT', onSignal);
    return () => {
      target.off('SIGTERM', onSignal);
      target.off('SIGINT', onSignal);
    };
  }

  async #run(reason: string): Promise<void> {
    const { readiness, dataPlane, xds, log } = this.#options;
    const drainMs = this.#options.drainDurationMs ?? 5000;
    this.#state = 'draining';
    log?.info(`shutting down (${reason}): draining for up to ${drainMs} ms`);
    readiness.startDraining();

    const drained = Promise.resolve()
      .then(() => dataPlane.drain?.())
      .then(
        () => 'drained' as const,
        (err: unknown) => {
          log?.warn(`drain failed: ${errorLine(err)}`);
          return 'drain failed' as const;
        },
      );
    let timer: NodeJS.Timeout | undefined;
    const period = new Promise<'drain period over'>((resolve) => {
      timer = setTimeout(() => resolve('drain period over'), drainMs);
    });
    const outcome = await Promise.race([drained, period]);
    clearTimeout(timer);
    log?.info(`drain finished: ${outcome}`);

    await this.#step('close xDS stream', () => xds.close());
    await this.#step('close data plane', () => dataPlane.close?.());
    for (const server of this.#options.servers ?? [])
      await this.#step('close server', () => server.close());
    this.#state = 'stopped';
    (this.#options.exit ?? ((code: number) => process.exit(code)))(0);
  }

  /** Shutdown keeps going past a failing step: the process must still exit. */
  async #step(what: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.#options.log?.warn(`${what}: ${errorLine(err)}`);
    }
  }
}
