// The config half of the ADS client: per-type state, the order Envoy applies
// things in, and ACK/NACK. Responses come in from whichever stream is current;
// each is decoded and validated whole, merged into the full set of its type and
// handed to the data plane; LDS/RDS responses wait while new clusters warm; the
// names CDS and LDS reference become the EDS, RDS and SDS subscriptions. A data
// plane that finishes an apply later (listener sockets binding) is waited for before
// the ACK or NACK, and responses that arrive meanwhile wait their turn.
import type { DataPlane, EnvoyResource } from '../types.ts';
import type { AdsStream, StreamUpdate } from './ads-stream.ts';
import type { Logger } from './log.ts';
import {
  applyToDataPlane,
  nextResourceSet,
  resourcesOf,
  withoutFailed,
  type Refusal,
} from './resource-set.ts';
import {
  edsRefOfCluster,
  rdsRefsOfListener,
  sdsRefsOf,
  uniqueRefs,
  type ResourceRef,
} from './resource-refs.ts';
import { awaitMissing, narrowSubscription } from './subscriptions.ts';
import { TypeState } from './type-state.ts';
import { Warming } from './warming.ts';
import { decodeResources } from './xds-decode.ts';
import type { InitPhase, ResourceEntry, XdsShortName, XdsTypeStatus } from './xds-status.ts';
import { CDS, EDS, LDS, RDS, SDS, XDS_TYPES } from './xds-types.ts';

export interface XdsConfigEvents {
  ack(typeUrl: string, version: string, nonce: string): void;
  nack(typeUrl: string, message: string, nonce: string): void;
  initialized(): void;
}

export interface XdsConfigOptions {
  dataPlane: DataPlane;
  /** The stream to answer on (undefined while disconnected). */
  stream: () => AdsStream | undefined;
  events: XdsConfigEvents;
  /** Wait for EDS/RDS when the config source gives no initial_fetch_timeout. */
  fetchTimeoutMs: number;
  log?: Logger;
}

export class XdsConfig {
  readonly #options: XdsConfigOptions;
  readonly #types = new Map<string, TypeState>(
    XDS_TYPES.map((info) => [info.typeUrl, new TypeState(info)]),
  );
  readonly #clusterWarming = new Warming((timedOut) => this.#onClustersWarm(timedOut));
  readonly #routeWarming = new Warming((timedOut) => {
    this.#options.log?.warn(
      `gave up waiting for RDS ${timedOut.join(', ')}; listeners serve without them`,
    );
    this.#checkInitialized();
  });
  /** LDS/RDS responses that arrived while new clusters were warming, applied after them. */
  #held: StreamUpdate[] = [];
  /** An apply the data plane is still finishing; responses received meanwhile queue up. */
  #applying: Promise<void> | undefined;
  #queued: StreamUpdate[] = [];
  /** Bumped per stream: an apply that settles after a reconnect answers nobody. */
  #generation = 0;
  #clustersReady = false;
  #initialized = false;

  constructor(options: XdsConfigOptions) {
    this.#options = options;
    // Envoy asks for clusters first; everything else follows from them.
    this.#type(CDS).requested = true;
  }

  get initialized(): boolean {
    return this.#initialized;
  }

  phase(): InitPhase {
    return this.#initialized ? 'LIVE' : this.#clustersReady ? 'INITIALIZING' : 'PRE_INITIALIZING';
  }

  warmingClusters(): string[] {
    return this.#clusterWarming.pending();
  }

  warmingRoutes(): string[] {
    return this.#routeWarming.pending();
  }

  types(): XdsTypeStatus[] {
    return [...this.#types.values()].map((t) => t.status());
  }

  updates(short: XdsShortName): TypeState['updates'] {
    return [...this.#types.values()].find((t) => t.info.short === short)!.updates;
  }

  /** A new stream: nonces start over, held responses are void, every subscription is resent. */
  resubscribe(stream: AdsStream): void {
    this.#held = [];
    this.#queued = [];
    this.#generation++;
    for (const t of this.#types.values()) t.nonce = '';
    for (const t of this.#types.values()) if (t.requested) stream.subscribe(t);
  }

  /** Stops the warming timers (client closing). */
  clear(): void {
    this.#clusterWarming.clear();
    this.#routeWarming.clear();
    this.#held = [];
    this.#queued = [];
    this.#generation++;
  }

  onUpdate(update: StreamUpdate): void {
    if (this.#applying) this.#queued.push(update);
    else this.#dispatch(update);
  }

  #dispatch(update: StreamUpdate): void {
    const type = this.#types.get(update.typeUrl);
    if (!type?.requested) {
      // Envoy ignores responses for types nobody watches; there is nothing to ACK.
      this.#options.log?.debug(`ignoring response for unrequested type ${update.typeUrl}`);
      return;
    }
    if ((type.typeUrl === LDS || type.typeUrl === RDS) && this.#clusterWarming.active) {
      this.#held.push(update);
      return;
    }
    const later = this.#process(type, update);
    if (!later) return;
    this.#applying = later.finally(() => {
      this.#applying = undefined;
      this.#drainQueue();
    });
  }

  #drainQueue(): void {
    while (this.#queued.length > 0 && !this.#applying) this.#dispatch(this.#queued.shift()!);
  }

  #type(typeUrl: string): TypeState {
    return this.#types.get(typeUrl)!;
  }

  /** Returns a promise when the data plane is still finishing the apply. */
  #process(type: TypeState, update: StreamUpdate): Promise<void> | undefined {
    const log = this.#options.log;
    type.nonce = update.nonce;
    type.updates.attempt++;
    const decoded = decodeResources(type.typeUrl, type.info.short, update.resources);
    if (decoded.problems.length > 0) {
      this.#reject(type, update, decoded.problems, decoded.failed, true);
      return undefined;
    }
    const now = new Date();
    const next = nextResourceSet(type, update, decoded.resources, now);
    if (next.ignored.length)
      log?.debug(`${type.info.short}: ignoring unrequested ${next.ignored.join(', ')}`);
    if (next.changed || !type.applied) {
      const { refused, pending } = applyToDataPlane(this.#options.dataPlane, type, next.entries);
      if (refused) {
        this.#reject(type, update, refused.problems, refused.failed, true);
        return undefined;
      }
      if (pending) {
        const generation = this.#generation;
        // A throw while settling must not become an unhandled rejection (it would end
        // the agent): one error line, and the queue moves on.
        return pending
          .then((late) =>
            this.#settle(type, update, next.entries, now, late, generation === this.#generation),
          )
          .catch((err: unknown) =>
            log?.error(`${type.info.short}: finishing the apply failed: ${String(err)}`),
          );
      }
      type.resources = next.entries;
      type.lastUpdated = now;
    }
    this.#accept(type, update, true);
    return undefined;
  }

  /**
   * The end of an apply the data plane finished later. Failures NACK the version, but
   * what was applied stays (Envoy keeps the listeners that did bind), so the client's
   * set is the new one minus the failed resources.
   */
  #settle(
    type: TypeState,
    update: StreamUpdate,
    entries: Map<string, ResourceEntry>,
    now: Date,
    late: Refusal | undefined,
    sameStream: boolean,
  ): void {
    type.lastUpdated = now;
    if (!late) {
      type.resources = entries;
      return this.#accept(type, update, sameStream);
    }
    type.resources = withoutFailed(type.resources, entries, late.failed);
    // The rest serves: like Envoy's init target after a rejected update, this counts as applied.
    type.applied = true;
    this.#reject(type, update, late.problems, late.failed, sameStream);
    this.#afterApply(type);
  }

  /** `send` false: the stream the response came on is gone; only the state moves. */
  #accept(type: TypeState, update: StreamUpdate, send: boolean): void {
    const log = this.#options.log;
    type.ackedVersion = update.version;
    type.applied = true;
    type.lastNack = undefined;
    type.updates.success++;
    if (send) this.#options.stream()?.ack(type, update.nonce);
    log?.debug(
      `${type.info.short} ACK version ${update.version} (${type.resources.size} resources)`,
    );
    this.#options.events.ack(type.typeUrl, update.version, update.nonce);
    this.#afterApply(type);
  }

  #reject(
    type: TypeState,
    update: StreamUpdate,
    problems: string[],
    failed: Map<string, EnvoyResource | undefined>,
    send: boolean,
  ): void {
    const message = problems.join('; ');
    type.updates.rejected++;
    type.lastNack = {
      code: 'PETREL_XDS_NACK',
      nonce: update.nonce,
      version: update.version,
      message,
      at: new Date(),
      failed,
    };
    if (send) this.#options.stream()?.nack(type, update.nonce, message);
    this.#options.log?.warn(
      `PETREL_XDS_NACK ${type.info.short} version ${update.version} nonce ${update.nonce}: ${message}`,
    );
    this.#options.events.nack(type.typeUrl, message, update.nonce);
  }

  /** What an applied type makes the client subscribe to and wait for next. */
  #afterApply(type: TypeState): void {
    const values = (t: string) => resourceValues(this.#type(t));
    switch (type.typeUrl) {
      case CDS: {
        const refs = uniqueRefs(values(CDS).flatMap((c) => edsRefOfCluster(c) ?? []));
        this.#resubscribe(this.#type(EDS), refs);
        awaitMissing(this.#clusterWarming, this.#type(EDS), refs, this.#options.fetchTimeoutMs);
        this.#resubscribeSecrets();
        if (!this.#clusterWarming.active) this.#onClustersWarm([]);
        break;
      }
      case EDS:
        this.#clusterWarming.settle((name) => type.resources.has(name));
        if (!this.#clusterWarming.active) this.#onClustersWarm([]);
        break;
      case LDS: {
        const refs = uniqueRefs(values(LDS).flatMap(rdsRefsOfListener));
        this.#resubscribe(this.#type(RDS), refs);
        awaitMissing(this.#routeWarming, this.#type(RDS), refs, this.#options.fetchTimeoutMs);
        this.#resubscribeSecrets();
        this.#checkInitialized();
        break;
      }
      case RDS:
        this.#routeWarming.settle((name) => type.resources.has(name));
        this.#checkInitialized();
        break;
    }
  }

  #resubscribeSecrets(): void {
    const refs = uniqueRefs(
      [...resourceValues(this.#type(CDS)), ...resourceValues(this.#type(LDS))].flatMap(sdsRefsOf),
    );
    this.#resubscribe(this.#type(SDS), refs);
  }

  /** Sets a named type's subscription, drops resources no longer wanted, tells the server. */
  #resubscribe(type: TypeState, refs: Map<string, ResourceRef>): void {
    const { changed, dropped } = narrowSubscription(type, refs);
    if (dropped) {
      // The data plane drops them too: endpoints of removed clusters, routes of removed listeners.
      const { errors } = this.#options.dataPlane.applyConfig(
        type.typeUrl,
        resourcesOf(type.resources),
      );
      if (errors.length)
        this.#options.log?.warn(
          `${type.info.short}: dropping unsubscribed resources: ${errors.join('; ')}`,
        );
    }
    if (changed) this.#options.stream()?.subscribe(type);
  }

  #onClustersWarm(timedOut: string[]): void {
    if (timedOut.length)
      this.#options.log?.warn(
        `gave up waiting for EDS ${timedOut.join(', ')}; clusters serve without endpoints`,
      );
    this.#clustersReady = true;
    const lds = this.#type(LDS);
    if (!lds.requested) {
      // Envoy starts LDS only once the cluster manager has initialised (CDS + EDS warm).
      lds.requested = true;
      this.#options.stream()?.subscribe(lds);
    }
    // Held responses go first, in order, through the same queue (one may bind sockets).
    if (!this.#clusterWarming.active) {
      this.#queued.unshift(...this.#held);
      this.#held = [];
      this.#drainQueue();
    }
    this.#checkInitialized();
  }

  #checkInitialized(): void {
    if (this.#initialized) return;
    if (!this.#clustersReady || !this.#type(LDS).applied || this.#routeWarming.active) return;
    this.#initialized = true;
    this.#options.log?.info('initial config applied (CDS, EDS, LDS, RDS): proxy is ready');
    this.#options.events.initialized();
  }
}

function resourceValues(type: TypeState): EnvoyResource[] {
  return [...type.resources.values()].map((e) => e.resource);
}
