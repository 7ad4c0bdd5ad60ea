// A request the proxy sends on its own behalf (ext_authz's check) to one of its
// clusters, the way Envoy's AsyncClient does: a host from the cluster's load
// balancer, a slot under its circuit breakers, its connection pools (so its
// transport socket applies — ISTIO_MUTUAL to an in-mesh authorizer), the whole
// response collected up to a limit, and a timeout. Every outcome is reported once,
// and never before sideCall returns, so a filter can pause the request first.
import type { PendingTicket } from '../upstream/circuit-breaker.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import type {
  HeaderMap,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamStream,
} from '../upstream/types.ts';

export interface SideResponse {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  trailers: HeaderMap | null;
}

export type SideFailure = UpstreamFailure | 'no-healthy-upstream' | 'too-large';

export type SideResult =
  { ok: true; response: SideResponse } | { ok: false; failure: SideFailure; message: string };

export interface SideCallOptions {
  http2: boolean;
  /** 0: no timeout. */
  timeoutMs: number;
  /** A response body past this is a failure ('too-large'). */
  maxResponseBytes: number;
}

/** Sends `req` to `cluster`; returns a cancel function (no report after it). */
export function sideCall(
  cluster: Cluster,
  req: UpstreamRequest,
  opts: SideCallOptions,
  done: (r: SideResult) => void,
): () => void {
  const call = new SideCall(cluster, req, opts, done);
  call.start();
  return () => call.cancel();
}

class SideCall implements UpstreamHandler {
  private readonly cluster: Cluster;
  private readonly req: UpstreamRequest;
  private readonly opts: SideCallOptions;
  private readonly report: (r: SideResult) => void;
  private host: Host | null = null;
  private stream: UpstreamStream | null = null;
  private ticket: PendingTicket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private status = 0;
  private headers: HeaderMap = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private done = false;

  constructor(
    cluster: Cluster,
    req: UpstreamRequest,
    opts: SideCallOptions,
    report: (r: SideResult) => void,
  ) {
    this.cluster = cluster;
    this.req = req;
    this.opts = opts;
    this.report = report;
  }

  start(): void {
    if (this.opts.timeoutMs > 0)
      this.timer = setTimeout(
        () => this.fail('timeout', `no response in ${this.opts.timeoutMs} ms`),
        this.opts.timeoutMs,
      );
    const ready = this.cluster.whenReady();
    const go = (): void => this.attempt();
    if (ready) ready.then(go, go);
    else queueMicrotask(go);
  }

  private attempt(): void {
    if (this.done) return;
    const c = this.cluster;
    const host = c.choose({ hash: undefined, rejected: 0 });
    if (!host) return this.fail('no-healthy-upstream', `no healthy host in ${c.name}`);
    const admitted = c.breaker.admit(!this.opts.http2, () => this.send(host));
    if (admitted === null) this.fail('overflow', `circuit breaker of ${c.name} overflowed`);
    else if (admitted !== true) this.ticket = admitted;
  }

  private send(host: Host): void {
    this.ticket = null;
    if (this.done) {
      this.cluster.breaker.release(!this.opts.http2);
      return;
    }
    this.host = host;
    host.activeRequests++;
    host.rqTotal++;
    try {
      this.stream = host.pool(this.opts.http2).send(this.req, this);
    } catch (err) {
      this.onError('reset', err as Error);
    }
  }

  onHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    if (this.done) return;
    this.status = status;
    this.headers = headers;
    if (this.host) this.cluster.reportResult(this.host, status);
    if (endStream) this.finish(null);
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    this.size += chunk.length;
    if (this.size > this.opts.maxResponseBytes) {
      this.fail('too-large', `response body over ${this.opts.maxResponseBytes} bytes`);
      return true;
    }
    this.chunks.push(chunk);
    return true;
  }

  onEnd(trailers: HeaderMap | null): void {
    this.finish(trailers);
  }

  onError(failure: UpstreamFailure, err: Error): void {
    if (this.done) return;
    if (this.host) this.cluster.reportResult(this.host, 0);
    this.fail(failure, err.message);
  }

  private finish(trailers: HeaderMap | null): void {
    if (this.done) return;
    const response: SideResponse = {
      status: this.status,
      headers: this.headers,
      body: this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks),
      trailers,
    };
    this.settle();
    this.report({ ok: true, response });
  }

  private fail(failure: SideFailure, message: string): void {
    if (this.done) return;
    this.stream?.abort();
    this.settle();
    this.report({ ok: false, failure, message });
  }

  cancel(): void {
    if (this.done) return;
    this.stream?.abort();
    this.settle();
  }

  /** Gives back what the call held: its timer, its breaker slot or queue place, the host's load. */
  private settle(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ticket) {
      this.cluster.breaker.cancel(this.ticket);
      this.ticket = null;
    }
    const h = this.host;
    if (h) {
      h.activeRequests--;
      this.cluster.breaker.release(!this.opts.http2);
      this.host = null;
    }
    this.stream = null;
  }
}
