// HTTP/1.1 upstream connections through an undici Pool per host: PLATFORM.md
// measured it 36% faster than http.Agent. The low-level dispatch() API streams the
// response straight into the downstream with backpressure and no extra objects.
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { connectUpstream, isTlsConnectFailure } from '../tls/upstream.ts';
import { isPipeAddress } from './endpoints.ts';
import type {
  HeaderMap,
  PoolOptions,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamPool,
  UpstreamRequest,
  UpstreamStream,
} from './types.ts';

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

export function originFor(address: string, port: number, scheme = 'http'): string {
  // A unix socket has no authority of its own; the Host header comes from the request.
  if (isPipeAddress(address)) return `${scheme}://localhost`;
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export class Http1Pool implements UpstreamPool {
  readonly protocol = 'HTTP/1.1' as const;
  private readonly pool: Pool;

  constructor(address: string, port: number, opts: PoolOptions) {
    this.pool = new Pool(originFor(address, port, opts.transport ? 'https' : 'http'), {
      connect: opts.transport
        ? tlsConnector(address, port, opts)
        : isPipeAddress(address)
          ? { timeout: opts.connectTimeoutMs, socketPath: address }
          : { timeout: opts.connectTimeoutMs },
      localAddress: opts.sourceAddress,
      keepAliveTimeout: opts.idleTimeoutMs,
      // undici sends `connection: close` with a connection's last request and opens
      // a new one for the next (0 or unset: no limit).
      maxRequestsPerClient: opts.maxRequestsPerConnection || undefined,
      pipelining: 1,
      // The router owns request timeouts (route timeout, per-try timeout).
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    // Connection-level errors also reach each request's handler; this keeps an
    // unhandled 'error' event from taking the process down.
    this.pool.on('connectionError', () => {});
  }

  send(req: UpstreamRequest, handler: UpstreamHandler): UpstreamStream {
    const d = new H1Attempt(handler);
    const headers = req.headers;
    headers.host = req.authority;
    this.pool.dispatch(
      {
        method: req.method,
        path: req.path,
        headers: headers as Record<string, string | string[]>,
        body: req.body ? (req.body.open() as unknown as Dispatcher.DispatchOptions['body']) : null,
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      d,
    );
    return d;
  }

  close(): void {
    this.pool.close().catch(() => {});
  }
}

/**
 * undici's connector replaced for TLS upstreams: the cluster's TLS context decides
 * SNI, ALPN, client certificate and server verification (undici's own would offer
 * only http/1.1 and check the host name). ALPN never says h2 here: HTTP/2 clusters
 * use Http2Pool.
 */
function tlsConnector(address: string, port: number, opts: PoolOptions): Pool.Options['connect'] {
  return (_options, callback) => {
    const { socket, readyEvent } = connectUpstream(
      opts.transport,
      { host: address, port, localAddress: opts.sourceAddress, sni: opts.sni, sanDns: opts.sanDns },
      opts.onPeer,
    );
    let cb: typeof callback | null = callback;
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`connect timeout to ${address}:${port}`), {
        code: 'UND_ERR_CONNECT_TIMEOUT',
      });
      socket.destroy(err);
    }, opts.connectTimeoutMs);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      // Refused after the handshake (server identity): the 'error' that follows reports it.
      if (socket.destroyed) return;
      const c = cb;
      cb = null;
      c?.(null, socket);
    });
    socket.on('error', (err: Error) => {
      clearTimeout(timer);
      const c = cb;
      cb = null;
      c?.(err, null);
    });
    return socket;
  };
}

/** One request's undici handler, which is also the attempt's control handle. */
class H1Attempt implements Dispatcher.DispatchHandler, UpstreamStream {
  private readonly handler: UpstreamHandler;
  private controller: Dispatcher.DispatchController | null = null;
  private aborted = false;
  private responded = false;

  constructor(handler: UpstreamHandler) {
    this.handler = handler;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(new Error('aborted by proxy'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.aborted) return; // 1xx interim responses are not forwarded
    this.responded = true;
    this.handler.onHeaders(statusCode, headers as HeaderMap, false);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.aborted) return;
    if (!this.handler.onData(chunk)) controller.pause();
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.aborted) return;
    let has = false;
    for (const _ in trailers) {
      has = true;
      break;
    }
    this.handler.onEnd(has ? (trailers as HeaderMap) : null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.aborted) return;
    const code = (err as { code?: string }).code ?? '';
    const failure: UpstreamFailure =
      !this.responded && (CONNECT_ERRORS.has(code) || isTlsConnectFailure(err))
        ? 'connect-failure'
        : 'reset';
    this.handler.onError(failure, err);
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(new Error('aborted by proxy'));
  }
}
