// pilot's ADS server: owns connections, subscriptions, versions, nonces and
// ACK/NACK, and decides who gets what after a change. It never builds config:
// generators (one per type URL) do, from the push snapshot it is handed.
import * as grpc from '@grpc/grpc-js';
import type { Generator } from '../translate/types.ts';
import { buildConfigDump } from './config-dump.ts';
import type { ConfigDump } from './config-dump.ts';
import { Connection } from './connection.ts';
import type { AdsCall, StreamContext } from './stream-types.ts';
import { DeltaConnection } from './delta.ts';
import { XdsError, errorMessage } from './errors.ts';
import { stderrLogger } from './log.ts';
import { XdsMetrics } from './metrics.ts';
import { PushQueue } from './push-queue.ts';
import { RequestQueue } from './request-queue.ts';
import { SendBudget } from './send-budget.ts';
import { SotwConnection } from './sotw.ts';
import { adsServiceWithRawResponses } from './wire.ts';
import { DEFAULT_INCREMENTAL_TYPES, DEFAULT_WILDCARD_TYPES } from './type-urls.ts';
import type {
  IncrementalScope,
  MergedPushRequest,
  ProxySyncStatus,
  PushRequest,
  PushSnapshot,
  XdsLogger,
  XdsServerOptions,
} from './types.ts';

function clientVersion(conn: Connection<PushSnapshot>): string {
  const v = conn.proxy?.metadata.ISTIO_VERSION;
  return typeof v === 'string' && v ? v : 'unknown';
}

export class XdsServer<Push extends PushSnapshot> {
  readonly metrics = new XdsMetrics();
  private readonly log: XdsLogger;
  private readonly ctx: StreamContext<Push>;
  private readonly budget: SendBudget;
  private readonly requests: RequestQueue;
  private readonly queue: PushQueue<Push>;
  private readonly batchSize: number;
  private readonly incrementalTypes: ReadonlySet<string>;
  private readonly shutdownGraceMs: number;
  /** Every open stream, including those whose proxy is not known yet. */
  private readonly streams = new Set<Connection<Push>>();
  /** Streams with a known proxy, by connection id. */
  private readonly connections = new Map<string, Connection<Push>>();
  private current?: Push;
  private grpcServer?: grpc.Server;
  private stopping?: Promise<void>;

  constructor(options: XdsServerOptions<Push>) {
    const generators = new Map<string, Generator<Push>>();
    for (const g of options.generators) {
      if (generators.has(g.typeUrl))
        throw new XdsError('PETREL_XDS_OPTIONS', `two generators for ${g.typeUrl}`);
      generators.set(g.typeUrl, g);
    }
    this.log = options.log ?? stderrLogger;
    this.batchSize = Math.max(1, options.pushBatchSize ?? 1);
    this.incrementalTypes = new Set(options.incrementalTypes ?? DEFAULT_INCREMENTAL_TYPES);
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5000;
    this.budget = new SendBudget(options.sendBudgetBytes ?? 64 * 1024 * 1024);
    this.requests = new RequestQueue(
      (err) => {
        this.metrics.internalErrors.inc();
        this.log.error(`ads: request handling failed: ${errorMessage(err)}`);
      },
      () => this.budget.room(),
    );
    this.ctx = {
      budget: this.budget,
      generators,
      wildcardTypes: new Set(options.wildcardTypes ?? DEFAULT_WILDCARD_TYPES),
      log: this.log,
      metrics: this.metrics,
      identifier: options.identifier ?? 'petrel',
      currentPush: () => this.current,
      schedule: (task) => this.requests.enqueue(task),
      register: (conn) => {
        if (this.stopping) return false;
        this.connections.set(conn.id, conn);
        this.metrics.clients.inc({ version: clientVersion(conn) });
        return true;
      },
      unregister: (conn) => {
        if (this.connections.delete(conn.id)) {
          this.metrics.clients.dec({ version: clientVersion(conn) });
          this.log.info(`ads: connection ${conn.id} closed`);
        }
      },
    };
    this.queue = new PushQueue<Push>({
      quietMs: options.debounceQuietMs ?? 100,
      maxMs: options.debounceMaxMs ?? 1000,
      dispatch: (push, request) => this.dispatch(push, request),
      onDebounced: (seconds, request) => {
        this.metrics.debounceTime.observe(seconds);
        for (const reason of request.reason) this.metrics.pushTriggers.inc({ type: reason });
      },
      onError: (err) => {
        this.metrics.internalErrors.inc();
        this.log.error(`ads: push failed: ${errorMessage(err)}`);
      },
    });
  }

  /** Adds the ADS service to a gRPC server the caller owns (e.g. one shared with the CA). */
  addToServer(server: grpc.Server): void {
    server.addService(adsServiceWithRawResponses(), {
      StreamAggregatedResources: (call: AdsCall) => this.accept(new SotwConnection(this.ctx, call)),
      DeltaAggregatedResources: (call: AdsCall) => this.accept(new DeltaConnection(this.ctx, call)),
    });
  }

  /** Serves ADS on its own gRPC server; resolves with the bound port (address port 0 picks one). */
  async listen(
    address = '127.0.0.1:0',
    credentials = grpc.ServerCredentials.createInsecure(),
  ): Promise<number> {
    if (this.stopping) throw new XdsError('PETREL_XDS_CLOSED', 'listen() after stop()');
    const server = new grpc.Server();
    this.addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.grpcServer = server;
    return port;
  }

  /** Queues a push of a new snapshot; debounced and merged with others. */
  push(push: Push, request: PushRequest): void {
    this.queue.enqueue(push, request);
  }

  /** Dispatches any pending push at once, skipping the debounce wait. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Resolves when no push is pending or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The snapshot last dispatched to proxies. */
  currentPush(): Push | undefined {
    return this.current;
  }

  syncz(): ProxySyncStatus[] {
    return [...this.connections.values()]
      .map((c) => c.status())
      .sort((a, b) => a.proxy.localeCompare(b.proxy));
  }

  /** The newest connection of a proxy, by full node id or Istio's short `pod.namespace` form. */
  findConnection(proxyId: string): Connection<Push> | undefined {
    let found: Connection<Push> | undefined;
    for (const c of this.connections.values()) {
      const p = c.proxy;
      if (p && (p.id === proxyId || `${p.podName}.${p.namespace}` === proxyId)) found = c;
    }
    return found;
  }

  configDump(proxyId: string): ConfigDump | undefined {
    const conn = this.findConnection(proxyId);
    return conn ? buildConfigDump(conn) : undefined;
  }

  /** Stops accepting streams, ends the open ones (UNAVAILABLE, so proxies reconnect elsewhere), closes the server. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.queue.close();
    const open = [...this.streams];
    for (const s of open) s.close(grpc.status.UNAVAILABLE, 'pilot is shutting down');
    await Promise.all(open.map((s) => s.closedPromise()));
    const server = this.grpcServer;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private accept(conn: Connection<Push>): void {
    if (this.stopping) {
      conn.close(grpc.status.UNAVAILABLE, 'pilot is shutting down');
      return;
    }
    this.streams.add(conn);
    void conn.closedPromise().then(() => this.streams.delete(conn));
  }

  /**
   * Pushes one merged request to every connection. Generation is synchronous
   * per connection, so the event loop gets a turn after every batch: requests,
   * ACKs and the monitoring endpoints keep being served during a large push.
   */
  private async dispatch(push: Push, request: MergedPushRequest): Promise<void> {
    const previous = this.current;
    this.current = push;
    const scope = request.full ? undefined : this.scopeOf(push, previous, request);
    const types = request.full || scope === 'full' ? undefined : this.incrementalTypes;
    const conns = [...this.connections.values()];
    for (let i = 0; i < conns.length; i++) {
      const conn = conns[i]!;
      await this.budget.room();
      if (!conn.closed) {
        if (typeof scope === 'object' && !scope.needsFull(conn.proxy!))
          conn.pushIncremental(push, this.incrementalTypes, scope);
        else conn.pushAll(push, typeof scope === 'object' ? undefined : types);
        this.metrics.convergence.observe((performance.now() - request.startedAt) / 1000);
      }
      if ((i + 1) % this.batchSize === 0 && i + 1 < conns.length)
        await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * What an incremental request touches, by the snapshot's own judgement:
   * 'full' when it needs a full push after all (or the judgement failed: a
   * push that is skipped would leave proxies stale), undefined when the
   * snapshot cannot say (every incremental type is regenerated).
   */
  private scopeOf(
    push: Push,
    previous: Push | undefined,
    request: MergedPushRequest,
  ): IncrementalScope | 'full' | undefined {
    if (!push.incrementalScope) return undefined;
    try {
      return push.incrementalScope(previous, request.configsUpdated) ?? 'full';
    } catch (err) {
      this.metrics.internalErrors.inc();
      this.log.error(`ads: incremental push scope failed, pushing in full: ${errorMessage(err)}`);
      return 'full';
    }
  }
}
