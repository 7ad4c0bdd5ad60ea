// The router filter: sends a routed request to its cluster and the response back.
// Owns attempts (host choice, circuit breakers, per-try timeout, retries with
// backoff and previous-host avoidance), the route timeout and response streaming.
import {
  backoffMs,
  retriableFailure,
  retriableResponse,
  type RetryPolicy,
} from '../route/retry-policy.ts';
import type { ClusterAction } from '../route/types.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import type { LbContext } from '../upstream/lb/types.ts';
import type { PendingTicket } from '../upstream/circuit-breaker.ts';
import type {
  BodySource,
  HeaderMap,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamStream,
} from '../upstream/types.ts';
import { isTlsConnectFailure } from '../tls/upstream.ts';
import { LocalBody } from './local-reply.ts';
import { OneShotBody, ReplayableBody } from './replayable-body.ts';
import { splitHostPort } from './upstream-request.ts';
import type { RequestContext } from './request-context.ts';

/** Envoy's default per-connection buffer limit (1 MiB) bounds what a retry can replay. */
export const RETRY_BUFFER_LIMIT = 1024 * 1024;

export class RouterFlow implements UpstreamHandler {
  private readonly ctx: RequestContext;
  private readonly cluster: Cluster;
  private readonly retry: RetryPolicy | null;
  private readonly req: UpstreamRequest;
  private readonly http2: boolean;
  private readonly lbCtx: LbContext;
  /** Hosts already tried, kept only when a retry policy may avoid them (no array per request otherwise). */
  private tried: Host[] | null = null;
  private host: Host | null = null;
  private stream: UpstreamStream | null = null;
  private ticket: PendingTicket | null = null;
  private perTry: NodeJS.Timeout | null = null;
  private retriesUsed = 0;
  private inRetry = false;
  private upstreamStart = 0;
  private done = false;

  constructor(
    ctx: RequestContext,
    action: ClusterAction,
    cluster: Cluster,
    hash: number | undefined,
  ) {
    this.ctx = ctx;
    this.cluster = cluster;
    this.retry = action.retry;
    this.http2 = cluster.useHttp2(ctx.protocol === 'HTTP/2');
    this.lbCtx = { hash, rejected: 0 };
    let body: BodySource | null = null;
    if (ctx.body)
      body =
        this.retry || action.mirrors.length > 0
          ? new ReplayableBody(ctx.body, RETRY_BUFFER_LIMIT)
          : new OneShotBody(ctx.body);
    this.req = {
      method: ctx.method,
      path: ctx.path,
      authority: ctx.authority,
      scheme: 'http',
      headers: ctx.headers,
      body,
    };
    ctx.cancelUpstream = () => this.cancel();
  }

  get body(): BodySource | null {
    return this.req.body;
  }

  /** Starts the route timeout once the downstream request is complete (Envoy's rule). */
  armTimeout(timeoutMs: number): void {
    if (timeoutMs <= 0) return;
    const fire = (): void => this.onGlobalTimeout();
    const body = this.ctx.body;
    if (body === null || body.readableEnded) this.ctx.setTimer(timeoutMs, fire);
    else
      body.once('end', () => {
        if (!this.done) this.ctx.setTimer(timeoutMs, fire);
      });
  }

  start(): void {
    const ready = this.cluster.whenReady();
    if (ready) {
      ready.then(
        () => {
          if (!this.done) this.attempt();
        },
        () => {
          if (!this.done) this.attempt();
        },
      );
      return;
    }
    this.attempt();
  }

  private pickHost(): Host | undefined {
    const c = this.cluster;
    if (c.spec.type === 'ORIGINAL_DST') {
      const od = c.spec.originalDst;
      if (od.useHttpHeader) {
        const v = this.ctx.header(od.headerName);
        const hp = v ? splitHostPort(v) : undefined;
        return hp ? c.originalDestinationHost(hp.host, hp.port) : undefined;
      }
      const d = this.ctx.conn.destination;
      return c.originalDestinationHost(d.address, d.port);
    }
    const tried = this.tried;
    const avoid = this.retry?.previousHosts === true && tried !== null && tried.length > 0;
    const maxTries = avoid ? Math.max(1, this.retry!.hostSelectionMaxAttempts) + 1 : 1;
    this.lbCtx.rejected = 0;
    let h: Host | undefined;
    for (let i = 0; i < maxTries; i++) {
      h = c.choose(this.lbCtx);
      if (h === undefined || !avoid || !tried!.includes(h)) break;
      this.lbCtx.rejected++;
    }
    return h;
  }

  private attempt(): void {
    if (this.done) return;
    const ctx = this.ctx;
    const host = this.pickHost();
    if (!host) {
      this.finishRetry();
      ctx.sendLocalReply(503, LocalBody.noHealthyUpstream, {
        flag: 'UH',
        details: 'no_healthy_upstream',
      });
      this.done = true;
      return;
    }
    const admitted = this.cluster.breaker.admit(!this.http2, () => this.send(host));
    if (admitted === null) {
      this.finishRetry();
      ctx.sendLocalReply(503, LocalBody.overflow, {
        flag: 'UO',
        details: 'upstream_reset_before_response_started{overflow}',
      });
      this.done = true;
    } else if (admitted !== true) {
      this.ticket = admitted;
    }
  }

  private send(host: Host): void {
    this.ticket = null;
    if (this.done) {
      this.cluster.breaker.release(!this.http2);
      return;
    }
    const ctx = this.ctx;
    this.host = host;
    if (this.retry?.previousHosts === true) (this.tried ??= []).push(host);
    host.activeRequests++;
    host.rqTotal++;
    const rec = ctx.record;
    rec.attemptCount++;
    rec.upstreamHost = host.key;
    ctx.upstreamHost = host.key;
    if (ctx.route?.includeAttemptCount)
      this.req.headers['x-envoy-attempt-count'] = String(rec.attemptCount);
    const perTry = this.retry?.perTryTimeoutMs ?? 0;
    if (perTry > 0) this.perTry = setTimeout(() => this.onPerTryTimeout(), perTry);
    this.upstreamStart = performance.now();
    try {
      this.stream = host.pool(this.http2).send(this.req, this);
    } catch (err) {
      this.onError('reset', err as Error);
    }
  }

  /** Ends the current attempt's bookkeeping (breaker slot, host load, timers). */
  private releaseAttempt(): void {
    if (this.perTry) {
      clearTimeout(this.perTry);
      this.perTry = null;
    }
    const h = this.host;
    if (h) {
      h.activeRequests--;
      this.cluster.breaker.release(!this.http2);
      this.host = null;
    }
    this.stream = null;
  }

  private finishRetry(): void {
    if (this.inRetry) {
      this.cluster.breaker.retryDone();
      this.inRetry = false;
    }
  }

  /**
   * Takes a retry slot when the policy still allows one: retries left, a body that
   * can be replayed, and room under the cluster's max_retries. Flags URX when the
   * policy wanted a retry that cannot happen.
   */
  private takeRetry(): boolean {
    const p = this.retry!;
    const body = this.req.body;
    if (this.retriesUsed >= p.numRetries || (body !== null && !body.replayable)) {
      this.ctx.record.addFlag('URX');
      return false;
    }
    this.finishRetry();
    if (!this.cluster.breaker.tryRetry()) {
      this.ctx.record.addFlag('URX');
      return false;
    }
    this.inRetry = true;
    this.retriesUsed++;
    return true;
  }

  private scheduleRetry(): void {
    this.ctx.setTimer(backoffMs(this.retry!, this.retriesUsed - 1), () => this.attempt());
  }

  onHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    if (this.done) return;
    const host = this.host!;
    const ctx = this.ctx;
    if (host.transport && ctx.record.direction !== 'inbound') {
      // The client side of mTLS: telemetry's source and destination principals.
      ctx.record.localPrincipal = host.transport.localPrincipal;
      ctx.record.peerPrincipal = host.peerPrincipal;
    }
    const serviceTime = performance.now() - this.upstreamStart;
    if (this.perTry) {
      clearTimeout(this.perTry);
      this.perTry = null;
    }
    this.cluster.reportResult(host, status);
    if (this.retry && retriableResponse(this.retry, status, headers) && this.takeRetry()) {
      this.stream?.abort();
      this.releaseAttempt();
      this.scheduleRetry();
      return;
    }
    this.finishRetry();
    ctx.record.upstreamServiceTime = serviceTime;
    ctx.record.responseCodeDetails = 'via_upstream';
    if (!ctx.hcm.router.suppressEnvoyHeaders)
      headers['x-envoy-upstream-service-time'] = String(Math.round(serviceTime));
    if (ctx.route?.includeAttemptCountInResponse)
      headers['x-envoy-attempt-count'] = String(ctx.record.attemptCount);
    // HTTP/2 upstreams may send trailers (gRPC); keep the downstream stream open for them.
    ctx.sendResponseHeaders(status, headers, endStream, this.http2);
    if (endStream) this.complete();
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    const r = this.ctx.responder;
    if (r.write(chunk)) return true;
    r.onDrain(() => this.stream?.resume());
    return false;
  }

  onEnd(trailers: HeaderMap | null): void {
    if (this.done) return;
    if (trailers) {
      const gs = trailers['grpc-status'];
      if (typeof gs === 'string') this.ctx.record.grpcStatus = Number(gs);
    }
    this.ctx.responder.end(trailers);
    this.complete();
  }

  onError(failure: UpstreamFailure, err: Error): void {
    if (this.done) return;
    const host = this.host;
    const ctx = this.ctx;
    if (host) this.cluster.reportResult(host, 0);
    this.releaseAttempt();
    if (
      !ctx.responder.headersSent &&
      this.retry &&
      retriableFailure(this.retry, failure) &&
      this.takeRetry()
    ) {
      this.scheduleRetry();
      return;
    }
    this.finishRetry();
    this.done = true;
    if (ctx.responder.headersSent) {
      ctx.record.addFlag(failure === 'connect-failure' ? 'UF' : 'UR');
      ctx.responder.reset();
      ctx.end();
      return;
    }
    switch (failure) {
      case 'connect-failure': {
        // A failed handshake names its TLS error, as Envoy's
        // %UPSTREAM_TRANSPORT_FAILURE_REASON% and details do (a revoked or untrusted
        // upstream certificate is otherwise indistinguishable from a refused port).
        const tls = isTlsConnectFailure(err) ? tlsFailureReason(err) : '';
        ctx.record.upstreamTransportFailureReason = tls;
        ctx.sendLocalReply(503, LocalBody.connectFailure, {
          flag: 'UF',
          details: tls
            ? `upstream_reset_before_response_started{remote_connection_failure|${tls}}`
            : 'upstream_reset_before_response_started{connection_failure}',
        });
        break;
      }
      case 'refused-stream':
        ctx.sendLocalReply(503, LocalBody.refused, {
          flag: 'UR',
          details: 'upstream_reset_before_response_started{remote_refused_stream_reset}',
        });
        break;
      case 'timeout':
        ctx.sendLocalReply(504, LocalBody.timeout, {
          flag: 'UT',
          details: 'upstream_per_try_timeout',
        });
        break;
      default:
        ctx.sendLocalReply(503, LocalBody.reset, {
          flag: 'UC',
          details: 'upstream_reset_before_response_started{connection_termination}',
        });
    }
  }

  private onPerTryTimeout(): void {
    this.perTry = null;
    if (this.done) return;
    this.stream?.abort();
    this.onError('timeout', new Error('per-try timeout'));
  }

  private onGlobalTimeout(): void {
    if (this.done) return;
    const ctx = this.ctx;
    this.cancel();
    if (ctx.responder.headersSent) {
      ctx.record.addFlag('UT');
      ctx.responder.reset();
      ctx.end();
    } else {
      ctx.sendLocalReply(504, LocalBody.timeout, {
        flag: 'UT',
        details: 'upstream_response_timeout',
      });
    }
  }

  private complete(): void {
    this.done = true;
    this.releaseAttempt();
    this.finishRetry();
    this.ctx.end();
  }

  /** Downstream went away, a timeout fired, or a local reply replaced the response. */
  private cancel(): void {
    if (this.done) return;
    this.done = true;
    if (this.ticket) {
      this.cluster.breaker.cancel(this.ticket);
      this.ticket = null;
    }
    this.stream?.abort();
    this.releaseAttempt();
    this.finishRetry();
  }
}

/** Envoy's form of a TLS failure reason, with node's error code where BoringSSL's text would be. */
function tlsFailureReason(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return `TLS_error:|${typeof code === 'string' ? code : 'handshake_failure'}:TLS_error_end`;
}
