// What both ADS transports share: the stream's lifecycle, the proxy parsed from
// the first request's Node, per-type subscriptions, generation with the
// per-subscription cache, nonces and ACK/NACK bookkeeping.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { parseProxy } from '../model/proxy.ts';
import type { Proxy } from '../model/proxy.ts';
import type { Generator } from '../translate/types.ts';
import { XdsError, errorMessage } from './errors.ts';
import { duplicateName, generateResources, sameResources } from './encode.ts';
import type { EncodedResource } from './encode.ts';
import type { XdsMetrics } from './metrics.ts';
import { toXdsNode } from './node.ts';
import type { WireNode } from './node.ts';
import { Subscription } from './subscription.ts';
import { SOTW_COMPLETE_TYPES, metricType, pushOrder } from './type-urls.ts';
import type { PushSnapshot, ProxySyncStatus, SyncState, XdsLogger } from './types.ts';

/** What a stream needs from the server that owns it. */
export interface StreamContext<Push extends PushSnapshot> {
  readonly generators: ReadonlyMap<string, Generator<Push>>;
  readonly wildcardTypes: ReadonlySet<string>;
  readonly log: XdsLogger;
  readonly metrics: XdsMetrics;
  readonly identifier: string;
  /** Runs a request's handling in the server's FIFO request queue (see request-queue.ts). */
  schedule(task: () => void): void;
  /** The snapshot last dispatched, or undefined before the first push. */
  currentPush(): Push | undefined;
  /** Adds the connection once its proxy is known; false when the server is stopping. */
  register(conn: Connection<Push>): boolean;
  unregister(conn: Connection<Push>): void;
}

/** google.rpc.Status as proto-loader decodes it. */
export interface WireStatus {
  code?: number;
  message?: string;
}

export type AdsCall = grpc.ServerDuplexStream<unknown, unknown>;

let connectionSeq = 0;

const STATE_RANK: Record<SyncState, number> = { 'NOT SENT': 0, SYNCED: 1, STALE: 2, NACK: 3 };

export abstract class Connection<Push extends PushSnapshot> {
  abstract readonly transport: 'sotw' | 'delta';
  /** `<proxy id>-<n>`, as Istio names connections; set when the proxy is known. */
  id = '';
  proxy?: Proxy;
  readonly peer: string;
  readonly connectedAt = new Date();
  readonly subs = new Map<string, Subscription>();
  nacks = 0;
  closed = false;
  protected readonly ctx: StreamContext<Push>;
  protected readonly call: AdsCall;
  private nonceSeq = 0;
  private readonly noncePrefix = randomBytes(4).toString('hex');
  private readonly closeWaiters: (() => void)[] = [];

  constructor(ctx: StreamContext<Push>, call: AdsCall) {
    this.ctx = ctx;
    this.call = call;
    this.peer = call.getPeer();
    call.on('data', (req: { node?: WireNode | null; type_url?: string }) => this.receive(req));
    // The proxy half-closed: nothing more will come, so finish our side too.
    call.on('end', () => this.close(grpc.status.OK, 'client closed the stream'));
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
    call.on('error', () => this.finish());
  }

  /** Handles one request of this transport's kind; the proxy is known by then. */
  protected abstract onRequest(req: unknown): void;

  /** Regenerates one subscribed type and sends what changed (everything when forced). */
  abstract pushType(sub: Subscription, push: Push, force: boolean): void;

  private receive(req: { node?: WireNode | null; type_url?: string }): void {
    if (this.closed) return;
    if (!this.proxy) {
      try {
        this.proxy = parseProxy(toXdsNode(req.node));
      } catch (err) {
        const msg = `PETREL_XDS_BAD_NODE: ${errorMessage(err)}`;
        this.ctx.log.warn(`ads: rejecting ${this.transport} stream from ${this.peer}: ${msg}`);
        this.close(grpc.status.INVALID_ARGUMENT, msg);
        return;
      }
      this.id = `${this.proxy.id}-${++connectionSeq}`;
      if (!this.ctx.register(this)) {
        this.close(grpc.status.UNAVAILABLE, 'server is shutting down');
        return;
      }
      this.ctx.log.info(`ads: new ${this.transport} connection ${this.id} from ${this.peer}`);
    }
    // Handled in the server's queue, not in gRPC's data callback: answering can
    // mean generating a whole CDS/EDS, and many streams open at once.
    this.ctx.schedule(() => {
      if (this.closed) return;
      try {
        this.onRequest(req);
      } catch (err) {
        // A bug in request handling must not take the server down; report and go on.
        this.ctx.metrics.internalErrors.inc();
        this.ctx.log.error(
          `ads: connection ${this.id}: ${req.type_url ?? ''}: ${errorMessage(err)}`,
        );
      }
    });
  }

  /** The subscription for a type, or undefined (logged) when no generator serves it. */
  protected subscription(typeUrl: string, create: boolean): Subscription | undefined {
    let sub = this.subs.get(typeUrl);
    if (sub || !create) return sub;
    if (!this.ctx.generators.has(typeUrl)) {
      this.ctx.log.warn(
        `ads: PETREL_XDS_UNKNOWN_TYPE connection ${this.id} asked for ${typeUrl || '(empty type_url)'}; ignored`,
      );
      return undefined;
    }
    sub = new Subscription(typeUrl, this.transport === 'sotw' && SOTW_COMPLETE_TYPES.has(typeUrl));
    this.subs.set(typeUrl, sub);
    return sub;
  }

  /** The type's resources for this push, from the subscription's cache when push and names are unchanged. */
  protected generate(sub: Subscription, push: Push): EncodedResource[] | undefined {
    const cached = sub.generated;
    if (cached && cached.push === push && cached.namesRevision === sub.namesRevision)
      return cached.resources;
    const generator = this.ctx.generators.get(sub.typeUrl);
    if (!generator || !this.proxy) return undefined;
    try {
      const resources = generateResources(
        generator,
        push,
        this.proxy,
        sub.wildcard ? undefined : sub.names,
        sub.wildcard ? [] : sub.nameList(),
      );
      // An output equal to the last one was checked already; only new ones cost a Set.
      if (!cached || !sameResources(cached.resources, resources)) {
        const dup = duplicateName(resources);
        if (dup !== undefined) {
          throw new XdsError(
            'PETREL_XDS_GENERATE',
            `proxy ${this.proxy.id}: ${sub.typeUrl} "${dup}": generated twice`,
          );
        }
      }
      sub.generated = { push, namesRevision: sub.namesRevision, resources };
      return resources;
    } catch (err) {
      this.ctx.metrics.internalErrors.inc();
      const code = (err as { code?: string }).code ?? 'PETREL_XDS_GENERATE';
      this.ctx.log.error(
        `ads: ${code} ${errorMessage(err)}; the proxy keeps its last good ${metricType(sub.typeUrl)}`,
      );
      return undefined;
    }
  }

  protected nextNonce(): string {
    return `${this.noncePrefix}-${++this.nonceSeq}`;
  }

  protected recordNack(
    sub: Subscription,
    nonce: string,
    version: string,
    detail: WireStatus,
  ): void {
    const record = {
      nonce,
      version,
      code: detail.code ?? 0,
      message: detail.message ?? '',
      at: new Date().toISOString(),
    };
    sub.nack = record;
    this.nacks++;
    this.ctx.metrics.recordReject(sub.typeUrl, this.proxy?.id ?? '', record.code);
    this.ctx.log.warn(
      // Envoy's error_detail can span lines; the log keeps one line per event.
      `ads: PETREL_XDS_NACK proxy ${this.proxy?.id} type ${metricType(sub.typeUrl)} nonce ${nonce}: ${record.message.replace(/\s*\n\s*/g, ' ')}`,
    );
  }

  protected write(message: unknown, typeUrl: string, bytes: number, startedAt: number): void {
    if (this.closed) return;
    this.call.write(message);
    this.ctx.metrics.recordPush(typeUrl, (performance.now() - startedAt) / 1000, bytes);
  }

  /** Pushes a snapshot to every subscribed type (those in `types` only, when given). */
  pushAll(push: Push, types?: ReadonlySet<string>): void {
    for (const typeUrl of [...this.subs.keys()].sort(pushOrder)) {
      if (this.closed) return;
      const sub = this.subs.get(typeUrl)!;
      // A subscription parked before the first push is answered by whatever push comes.
      if (types && !types.has(typeUrl) && sub.started) continue;
      this.pushType(sub, push, !sub.started);
    }
  }

  /** Ends the stream with a status (OK ends it cleanly) and forgets the connection. */
  close(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.finish();
    if (code === grpc.status.OK) this.call.end();
    else this.call.emit('error', { code, details, message: details });
  }

  /** Resolves once the stream is finished. */
  closedPromise(): Promise<void> {
    return this.closed
      ? Promise.resolve()
      : new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.proxy) this.ctx.unregister(this);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  status(): ProxySyncStatus {
    const types = [...this.subs.values()]
      .sort((a, b) => pushOrder(a.typeUrl, b.typeUrl))
      .map((s) => s.status());
    const worst = types.reduce<SyncState>(
      (w, t) => (STATE_RANK[t.state] > STATE_RANK[w] ? t.state : w),
      'NOT SENT',
    );
    const proxy = this.proxy;
    return {
      proxy: proxy?.id ?? '',
      connectionId: this.id,
      transport: this.transport,
      proxyType: proxy?.type ?? '',
      clusterId: proxy?.clusterId ?? '',
      proxyVersion:
        typeof proxy?.metadata.ISTIO_VERSION === 'string' ? proxy.metadata.ISTIO_VERSION : '',
      peer: this.peer,
      connectedAt: this.connectedAt.toISOString(),
      state: worst,
      nacks: this.nacks,
      types,
    };
  }
}
