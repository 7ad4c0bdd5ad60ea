// Accepts connections for one HttpConnectionManager filter chain: HTTP/1.1 through
// a node:http server that never listens (sockets are handed to it), HTTP/2 prior
// knowledge through a node:http2 session per connection. With codec AUTO the
// first bytes decide (the 24-byte HTTP/2 preface).
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { ConnectionHandler } from '../listener/types.ts';
import { sniff, type Sniffed } from '../listener/sniff.ts';
import type { ProxyRuntime } from '../runtime.ts';
import { HttpConnectionManager } from './connection-manager.ts';
import type { HcmConfig } from './hcm-config.ts';
import type { ConnectionInfo } from './request-context.ts';

/** How long to wait for a client's first bytes before assuming HTTP/1.1. */
const SNIFF_TIMEOUT_MS = 15_000;
/** Envoy's HttpConnectionManager drain_timeout default. */
const DRAIN_MS = 5000;

export class HttpConnectionHandler implements ConnectionHandler {
  readonly cm: HttpConnectionManager;
  private readonly cfg: HcmConfig;
  private readonly h1: http.Server;
  private readonly conns = new WeakMap<net.Socket, ConnectionInfo>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private draining = false;

  constructor(cfg: HcmConfig, runtime: ProxyRuntime) {
    this.cfg = cfg;
    this.cm = new HttpConnectionManager(cfg, runtime);
    this.h1 = http.createServer({
      maxHeaderSize: cfg.maxHeaderBytes,
      requestTimeout: cfg.requestTimeoutMs,
      // node requires headersTimeout <= requestTimeout when the latter is set.
      headersTimeout: cfg.requestTimeoutMs > 0 ? Math.min(60_000, cfg.requestTimeoutMs) : 60_000,
      keepAliveTimeout: cfg.idleTimeoutMs,
      noDelay: true,
    });
    this.h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (this.draining) res.shouldKeepAlive = false;
      this.cm.handleH1(req, res, this.conns.get(req.socket)!);
    });
    this.h1.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      this.cm.handleUpgrade(req, socket, head, this.conns.get(socket)!);
    });
    this.h1.on('clientError', (_err: Error, socket: net.Socket) => {
      // Envoy answers a malformed HTTP/1.1 request with 400 and closes (flag DPE).
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  handle(socket: net.Socket, conn: ConnectionInfo, sniffed: Sniffed | undefined): void {
    this.conns.set(socket, conn);
    const codec = this.cfg.codec;
    if (codec === 'HTTP1') return this.acceptH1(socket);
    if (codec === 'HTTP2') return this.acceptH2(socket, conn);
    if (sniffed?.application === 'h2c') return this.acceptH2(socket, conn);
    if (sniffed?.application === 'http/1.1') return this.acceptH1(socket);
    sniff(socket, SNIFF_TIMEOUT_MS, (s) => {
      if (s.application === 'h2c') this.acceptH2(socket, conn);
      else this.acceptH1(socket);
    });
  }

  private acceptH1(socket: net.Socket): void {
    this.h1.emit('connection', socket);
  }

  private acceptH2(socket: net.Socket, conn: ConnectionInfo): void {
    const session = http2.performServerHandshake(socket, { maxSessionMemory: 64 });
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', () => {});
    session.on(
      'stream',
      (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number) => {
        this.cm.handleH2(stream, headers, flags, conn);
      },
    );
    if (this.cfg.idleTimeoutMs > 0)
      session.setTimeout(this.cfg.idleTimeoutMs, () => session.close());
    if (this.draining) session.close();
  }

  /**
   * HTTP/2 sessions get GOAWAY at once (clients know which streams were taken);
   * HTTP/1.1 responses from now on carry `connection: close`, and connections still
   * idle after the drain period are closed (closing them at once would race a
   * client that is just reusing one).
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const s of this.sessions) s.close();
    setTimeout(() => this.h1.closeIdleConnections(), DRAIN_MS).unref();
  }

  close(): void {
    this.draining = true;
    this.h1.closeAllConnections();
    for (const s of this.sessions) s.destroy();
  }
}
