// What both ADS transports share: the stream's lifecycle, the proxy parsed from
// the first request's Node, per-type subscriptions, generation with the
// per-subscription cache, nonces and ACK/NACK bookkeeping.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { parseProxy } from '../model/proxy.ts';
import type { Proxy } from '../model/proxy.ts';
import { XdsError, errorMessage } from './errors.ts';
import { duplicateName, generateResources, sameResources } from './encode.ts';
import type { EncodedResource } from './encode.ts';
import { toXdsNode } from './node.ts';
import type { WireNode } from './node.ts';
import { affectedNames } from './scope-names.ts';
import { Subscription } from './subscription.ts';
import { connectionStatus } from './sync-status.ts';
import type { ResponseHeader, WireResponse } from './wire.ts';
import { SOTW_COMPLETE_TYPES, metricType, pushOrder } from './type-urls.ts';
import type { AdsCall, Reply, StreamContext, WireStatus } from './stream-types.ts';
import type { IncrementalScope, PushSnapshot, ProxySyncStatus } from './types.ts';

let connectionSeq = 0;

/** Encoded lists found free of duplicate names: proxies alike share one list (encode.ts). */
const unique = new WeakSet<readonly EncodedResource[]>();

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
  /** This stream's requests waiting in the server's queue. */
  private queued = 0;
  /** Budget releases of responses not written out yet (a closed stream never writes them). */
  private readonly inFlight = new Set<() => void>();
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

  /** Handles a request that cannot lead to a response, and says so; false leaves it to the queue. */
  protected handledInline(_req: unknown): boolean {
    return false;
  }

  /** Sends what of `reply.resources` the proxy does not hold (everything when forced). */
  protected abstract respond(sub: Subscription, reply: Reply<Push>): void;

  /** Regenerates one subscribed type and sends what changed (everything when forced). */
  pushType(sub: Subscription, push: Push, force: boolean): void {
    const startedAt = performance.now();
    sub.started = true;
    const resources = this.generate(sub, push);
    if (resources) this.respond(sub, { push, resources, force, startedAt });
  }

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
    // A request that needs no answer (an ACK that changes nothing) is handled
    // at once when none of this stream's requests wait before it: queued, 500
    // sidecars' EDS ACKs hold 1.4 million decoded names (95 MiB) at the peak.
    if (this.queued === 0 && this.handledInline(req)) return;
    // Others are handled in the server's queue, not in gRPC's data callback:
    // answering can mean generating a whole CDS/EDS, and many streams open at once.
    this.queued++;
    this.ctx.schedule(() => {
      this.queued--;
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
    if (cached && cached.push.deref() === push && cached.namesRevision === sub.namesRevision)
      return cached.resources;
    const resources = this.run(
      sub,
      push,
      sub.wildcard ? undefined : sub.names,
      sub.nameList(),
      (r) =>
        // An output equal to the last one was checked already; only new ones cost a Set.
        cached !== undefined && sameResources(cached.resources, r),
    );
    if (resources)
      sub.generated = { push: new WeakRef(push), namesRevision: sub.namesRevision, resources };
    return resources;
  }

  /**
   * Generates and encodes one type for this proxy, checking that no name comes
   * twice (unless `checked` says this output was checked before). A failure is
   * counted and logged, and gives undefined: the proxy keeps what it has.
   */
  private run(
    sub: Subscription,
    push: Push,
    names: ReadonlySet<string> | undefined,
    nameList: readonly string[],
    checked: (resources: EncodedResource[]) => boolean,
  ): EncodedResource[] | undefined {
    const generator = this.ctx.generators.get(sub.typeUrl);
    if (!generator || !this.proxy) return undefined;
    try {
      const resources = generateResources(
        generator,
        push,
        this.proxy,
        names,
        names ? nameList : [],
      );
      if (!unique.has(resources) && !checked(resources)) {
        const dup = duplicateName(resources);
        if (dup !== undefined) {
          throw new XdsError(
            'PETREL_XDS_GENERATE',
            `proxy ${this.proxy.id}: ${sub.typeUrl} "${dup}": generated twice`,
          );
        }
        unique.add(resources);
      }
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

  /** The header of the next response of `sub`, under a new nonce, recorded as sent. */
  protected nextHeader(sub: Subscription, push: Push): ResponseHeader {
    const nonce = `${this.noncePrefix}-${++this.nonceSeq}`;
    sub.recordSent(nonce, push.version);
    return { version: push.version, typeUrl: sub.typeUrl, nonce, identifier: this.ctx.identifier };
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

  /** Writes a response built by wire.ts; its bytes count against the budget until written out. */
  protected write(message: WireResponse, typeUrl: string, bytes: number, startedAt: number): void {
    if (this.closed) return;
    const release = this.ctx.budget.take(message.size);
    this.inFlight.add(release);
    this.call.write(message, () => {
      this.inFlight.delete(release);
      release();
    });
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

  /**
   * An incremental push: of the `types` subscriptions, only the resources the
   * scope names are regenerated, and only those the proxy holds or asked for;
   * a proxy that watches none of them gets nothing. The others stay as sent:
   * delta, and SotW for every type but Listener and Cluster, let a response
   * carry a subset (xds_protocol#grouping-resources-into-responses).
   */
  pushIncremental(push: Push, types: ReadonlySet<string>, scope: IncrementalScope): void {
    for (const typeUrl of [...this.subs.keys()].sort(pushOrder)) {
      if (this.closed) return;
      const sub = this.subs.get(typeUrl)!;
      if (!sub.started) this.pushType(sub, push, true);
      else if (!types.has(typeUrl)) continue;
      // A complete type's response must carry the whole set.
      else if (sub.complete) this.pushType(sub, push, false);
      else this.pushScoped(sub, push, affectedNames(sub, scope));
    }
  }

  private pushScoped(sub: Subscription, push: Push, names: string[]): void {
    if (names.length === 0) return;
    const startedAt = performance.now();
    // Not the subscription's generation cache: that holds the whole type.
    const resources = this.run(sub, push, new Set(names), names, () => false);
    if (resources) this.respond(sub, { push, resources, force: false, startedAt, scoped: names });
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
    for (const release of this.inFlight) release();
    this.inFlight.clear();
    if (this.proxy) this.ctx.unregister(this);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  status(): ProxySyncStatus {
    return connectionStatus(this);
  }
}
