// HTTP/2 (h2c prior knowledge) upstream: one node:http2 session per host, opened
// lazily and replaced after GOAWAY or close. Trailers and trailers-only responses
// are reported as such so gRPC survives the hop (PLATFORM.md, "Proxying gRPC").
import http2 from 'node:http2';
import { ProxyError, ProxyErrorCode } from '../errors.ts';
import { originFor } from './http1-pool.ts';
import { connectUpstream } from '../tls/upstream.ts';
import type {
  HeaderMap,
  PoolOptions,
  UpstreamHandler,
  UpstreamPool,
  UpstreamRequest,
  UpstreamStream,
} from './types.ts';

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

interface SessionEntry {
  session: http2.ClientHttp2Session;
  connected: boolean;
  /** Streams opened on it and still open, for max_requests_per_connection. */
  streams: number;
  open: number;
  /** Took its last stream: no new ones, closes when the open ones finish. */
  retired: boolean;
}

export class Http2Pool implements UpstreamPool {
  readonly protocol = 'HTTP/2' as const;
  private readonly origin: string;
  private readonly opts: PoolOptions;
  private current: SessionEntry | null = null;
  private readonly all = new Set<SessionEntry>();
  private closed = false;

  private readonly address: string;
  private readonly port: number;

  constructor(address: string, port: number, opts: PoolOptions) {
    this.origin = originFor(address, port, opts.transport ? 'https' : 'http');
    this.address = address;
    this.port = port;
    this.opts = opts;
  }

  private session(): SessionEntry {
    const cur = this.current;
    if (cur && !cur.session.closed && !cur.session.destroyed) return cur;
    const { address: host, port, opts } = this;
    // Over TLS the context's ALPN is offered, or h2 when it names none (Envoy's default for HTTP/2 clusters).
    const tlsAlpn = opts.transport?.spec.common.alpn;
    // connectUpstream opens plaintext, pipe and TLS connections alike (source
    // address included); the ALPN and SNI options only matter over TLS.
    const session = http2.connect(this.origin, {
      createConnection: () =>
        connectUpstream(
          opts.transport,
          {
            host,
            port,
            localAddress: opts.sourceAddress,
            alpn: tlsAlpn && tlsAlpn.length > 0 ? tlsAlpn : ['h2'],
            sni: opts.sni,
            sanDns: opts.sanDns,
          },
          opts.onPeer,
        ).socket,
    });
    const entry: SessionEntry = {
      session,
      connected: false,
      streams: 0,
      open: 0,
      retired: false,
    };
    const timer = setTimeout(() => {
      session.destroy(
        new ProxyError(ProxyErrorCode.UpstreamConnect, `connect timeout to ${this.origin}`),
      );
    }, this.opts.connectTimeoutMs);
    session.once('connect', () => {
      entry.connected = true;
      clearTimeout(timer);
    });
    // Errors reach every open stream; this listener only keeps them from being unhandled.
    session.on('error', () => {});
    const forget = (): void => {
      clearTimeout(timer);
      if (this.current === entry) this.current = null;
    };
    session.on('goaway', forget);
    session.on('close', () => {
      forget();
      this.all.delete(entry);
    });
    if (this.opts.idleTimeoutMs > 0)
      session.setTimeout(this.opts.idleTimeoutMs, () => session.close());
    this.current = entry;
    this.all.add(entry);
    return entry;
  }

  send(req: UpstreamRequest, handler: UpstreamHandler): UpstreamStream {
    const entry = this.session();
    const headers: http2.OutgoingHttpHeaders = {
      ':method': req.method,
      ':path': req.path,
      ':authority': req.authority,
      ':scheme': req.scheme,
    };
    const src = req.headers;
    for (const k in src) {
      const v = src[k];
      if (v !== undefined) headers[k] = v;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = entry.session.request(headers, { endStream: req.body === null });
    } catch (err) {
      // The session died between the check and the request: report as a reset so retries apply.
      queueMicrotask(() => handler.onError('reset', err as Error));
      return { pause() {}, resume() {}, abort() {} };
    }
    const limit = this.opts.maxRequestsPerConnection ?? 0;
    if (limit > 0) this.count(entry, stream, limit);
    return new H2Attempt(stream, entry, handler, req);
  }

  /**
   * max_requests_per_connection: once a session has carried its share of streams
   * the next request opens a new one, and this one closes (GOAWAY) when its last
   * stream ends. Closing earlier would fail the stream just requested: node only
   * registers it on the next tick, and closes a session it sees without streams.
   */
  private count(entry: SessionEntry, stream: http2.ClientHttp2Stream, limit: number): void {
    entry.open++;
    stream.once('close', () => {
      if (--entry.open === 0 && entry.retired) entry.session.close();
    });
    if (++entry.streams < limit) return;
    entry.retired = true;
    if (this.current === entry) this.current = null;
  }

  close(): void {
    this.closed = true;
    for (const e of this.all) e.session.close();
    this.current = null;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

class H2Attempt implements UpstreamStream {
  private readonly stream: http2.ClientHttp2Stream;
  private readonly handler: UpstreamHandler;
  private done = false;
  private responded = false;
  private trailers: HeaderMap | null = null;

  constructor(
    stream: http2.ClientHttp2Stream,
    entry: SessionEntry,
    handler: UpstreamHandler,
    req: UpstreamRequest,
  ) {
    this.stream = stream;
    this.handler = handler;
    stream.on('response', (headers, flags) => {
      if (this.done) return;
      const status = Number(headers[':status']);
      const out = headers as HeaderMap;
      delete out[':status'];
      this.responded = true;
      this.handler.onHeaders(status, out, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
    });
    stream.on('trailers', (trailers) => {
      this.trailers = trailers as HeaderMap;
    });
    stream.on('data', (chunk: Buffer) => {
      if (this.done) return;
      if (!this.handler.onData(chunk)) stream.pause();
    });
    stream.on('end', () => {
      if (this.done) return;
      this.done = true;
      this.handler.onEnd(this.trailers);
    });
    stream.on('error', (err: Error) => this.fail(err, entry));
    stream.on('close', () => {
      if (!this.done)
        this.fail(
          new ProxyError(
            ProxyErrorCode.UpstreamReset,
            `upstream stream closed (code ${stream.rstCode})`,
          ),
          entry,
        );
    });
    if (req.body) {
      const body = req.body.open();
      body.on('error', () => stream.close(NGHTTP2_CANCEL));
      body.pipe(stream);
    }
  }

  private fail(err: Error, entry: SessionEntry): void {
    if (this.done) return;
    this.done = true;
    if (this.stream.rstCode === NGHTTP2_REFUSED_STREAM) this.handler.onError('refused-stream', err);
    else if (!entry.connected && !this.responded) this.handler.onError('connect-failure', err);
    else this.handler.onError('reset', err);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }
}
