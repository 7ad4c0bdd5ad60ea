// HTTP/1.1 Upgrade (websocket): after routing, the request head is replayed to the
// chosen upstream host over a fresh TCP connection and the two sockets are joined;
// the upstream's 101 (or refusal) passes through unchanged.
import type net from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Cluster } from '../upstream/cluster.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { Responder } from './downstream.ts';
import { LocalBody } from './local-reply.ts';
import { connectUpstream } from '../tls/upstream.ts';
import type { RequestContext } from './request-context.ts';

/** Writes local replies straight onto an upgrade request's socket. */
export class RawResponder implements Responder {
  private readonly socket: net.Socket;
  headersSent = false;
  finished = false;
  bytesSent = 0;
  private doneCb: (() => void) | null = null;
  private abortCb: (() => void) | null = null;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.once('close', () => {
      const aborted = !this.finished;
      this.finished = true;
      if (aborted) this.abortCb?.();
      this.doneCb?.();
    });
    socket.on('error', () => {});
  }

  sendHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
    }
    head += 'connection: close\r\n\r\n';
    this.headersSent = true;
    this.socket.write(head);
    if (endStream) this.end(null);
  }

  write(chunk: Buffer): boolean {
    this.bytesSent += chunk.length;
    return this.socket.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.socket.once('drain', cb);
  }

  end(_trailers?: HeaderMap | null): void {
    this.finished = true;
    this.socket.end();
  }

  reset(): void {
    this.finished = true;
    this.socket.destroy();
  }

  /** The tunnel took the socket over; completion is reported when it closes. */
  tunnelled(): void {
    this.headersSent = true;
    this.finished = true;
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }

  onDone(cb: () => void): void {
    this.doneCb = cb;
  }
}

export function tunnel(ctx: RequestContext, cluster: Cluster, hash: number | undefined): void {
  const host =
    cluster.spec.type === 'ORIGINAL_DST'
      ? cluster.originalDestinationHost(ctx.conn.destination.address, ctx.conn.destination.port)
      : cluster.choose({ hash, rejected: 0 });
  if (!host) {
    ctx.sendLocalReply(503, LocalBody.noHealthyUpstream, {
      flag: 'UH',
      details: 'no_healthy_upstream',
    });
    return;
  }
  const up = ctx.upgrade!;
  const down = up.socket;
  const rec = ctx.record;
  rec.upstreamHost = host.key;
  rec.attemptCount = 1;
  const o = host.options;
  const { socket: upstream, readyEvent } = connectUpstream(
    o.transport,
    {
      host: host.address,
      port: host.port,
      localAddress: o.sourceAddress,
      sni: o.sni,
      sanDns: o.sanDns,
    },
    o.onPeer,
  );
  host.activeRequests++;
  host.rqTotal++;
  host.cxTotal++;
  let connected = false;
  const timer = setTimeout(
    () => upstream.destroy(new Error('connect timeout')),
    cluster.spec.connectTimeoutMs,
  );
  const headers = ctx.headers;
  let head = `${ctx.method} ${ctx.path} HTTP/1.1\r\nhost: ${ctx.authority}\r\nconnection: upgrade\r\n`;
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || k === 'connection') continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
  }
  head += '\r\n';
  upstream.once(readyEvent, () => {
    connected = true;
    clearTimeout(timer);
    upstream.write(head);
    if (up.head.length > 0) upstream.write(up.head);
    (ctx.responder as RawResponder).tunnelled();
    let first = true;
    upstream.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.subarray(0, 16).toString('latin1'));
        rec.responseCode = m ? Number(m[1]) : 0;
        rec.responseCodeDetails = 'via_upstream';
      }
      rec.bytesSent += chunk.length;
    });
    down.on('data', (chunk: Buffer) => {
      rec.bytesReceived += chunk.length;
    });
    // Upgraded streams have no half-close: the first side to finish ends the tunnel
    // once what it sent has been flushed to the other side.
    upstream.pipe(down);
    down.pipe(upstream);
    down.once('end', () => upstream.once('finish', cleanup));
    upstream.once('end', () => down.once('finish', cleanup));
  });
  let released = false;
  const release = (): void => {
    clearTimeout(timer);
    if (!released) host.activeRequests--;
    released = true;
  };
  const cleanup = (): void => {
    release();
    down.destroy();
    upstream.destroy();
  };
  upstream.on('error', () => {
    if (!connected) {
      release();
      ctx.sendLocalReply(503, LocalBody.connectFailure, {
        flag: 'UF',
        details: 'upstream_reset_before_response_started{connection_failure}',
      });
      upstream.destroy();
      return;
    }
    cleanup();
  });
  upstream.on('close', () => {
    if (connected) cleanup();
  });
  down.on('close', () => {
    if (connected) cleanup();
    else upstream.destroy();
  });
  down.on('error', () => {});
}
