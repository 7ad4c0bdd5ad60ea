// The response side of one downstream request, over HTTP/1.1 (node:http) or
// HTTP/2 (a node:http2 server stream). Trailers and trailers-only responses are
// kept on HTTP/2 so gRPC works end to end (PLATFORM.md, "Proxying gRPC").
import type http from 'node:http';
import http2 from 'node:http2';
import type { HeaderMap } from '../upstream/types.ts';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

export interface Responder {
  readonly headersSent: boolean;
  /** True once the response ended or the stream/connection went away. */
  readonly finished: boolean;
  bytesSent: number;
  /**
   * Sends status and headers. `endStream`: no body follows (trailers-only on HTTP/2).
   * `trailers`: the body will be followed by trailers (HTTP/2 waits for them).
   */
  sendHeaders(status: number, headers: HeaderMap, endStream: boolean, trailers: boolean): void;
  /** False when the caller should wait for `onDrain`. */
  write(chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  end(trailers: HeaderMap | null): void;
  /** Abort: HTTP/2 RST_STREAM, HTTP/1.1 connection close. */
  reset(): void;
  /** Called once when the downstream goes away before the response ended. */
  onAbort(cb: () => void): void;
  /** Called once when the response is fully handed to the socket or the stream closed. */
  onDone(cb: () => void): void;
}

export class H1Responder implements Responder {
  private readonly res: http.ServerResponse;
  bytesSent = 0;
  finished = false;
  private doneCb: (() => void) | null = null;
  private abortCb: (() => void) | null = null;
  /** The response headers carried a content-length (then trailers cannot follow). */
  private contentLength = false;

  constructor(res: http.ServerResponse) {
    this.res = res;
    res.once('close', () => {
      const aborted = !this.finished;
      this.finished = true;
      if (aborted) this.abortCb?.();
      this.doneCb?.();
    });
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  sendHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    // One writeHead with the map, as node's fast path wants: per-header setHeader
    // would validate and store every header once more before writeHead walks them.
    let complete = true;
    for (const k in headers) {
      if (headers[k] === undefined) {
        complete = false;
        break;
      }
    }
    let out = headers;
    if (!complete) {
      out = {};
      for (const k in headers) {
        const v = headers[k];
        if (v !== undefined) out[k] = v;
      }
    }
    this.contentLength = out['content-length'] !== undefined;
    this.res.writeHead(status, out as http.OutgoingHttpHeaders);
    if (endStream) this.end(null);
  }

  write(chunk: Buffer): boolean {
    this.bytesSent += chunk.length;
    return this.res.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.res.once('drain', cb);
  }

  end(trailers: HeaderMap | null): void {
    if (this.finished) return;
    if (trailers && !this.contentLength) this.res.addTrailers(trailers as http.OutgoingHttpHeaders);
    this.finished = true;
    this.res.end();
  }

  reset(): void {
    this.finished = true;
    this.res.destroy();
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }

  onDone(cb: () => void): void {
    this.doneCb = cb;
  }
}

export class H2Responder implements Responder {
  private readonly stream: http2.ServerHttp2Stream;
  bytesSent = 0;
  finished = false;
  private trailers: HeaderMap | null = null;
  private doneCb: (() => void) | null = null;
  private abortCb: (() => void) | null = null;

  constructor(stream: http2.ServerHttp2Stream) {
    this.stream = stream;
    stream.on('error', () => {});
    stream.once('close', () => {
      const aborted = !this.finished;
      this.finished = true;
      if (aborted) this.abortCb?.();
      this.doneCb?.();
    });
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  sendHeaders(status: number, headers: HeaderMap, endStream: boolean, trailers: boolean): void {
    if (this.stream.destroyed || this.stream.closed) return;
    const out: http2.OutgoingHttpHeaders = { ':status': status };
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined) out[k] = v;
    }
    if (endStream) this.finished = true;
    this.stream.respond(out, { endStream, waitForTrailers: trailers && !endStream });
    if (trailers && !endStream) {
      this.stream.once('wantTrailers', () => {
        // Empty trailers still close the stream with END_STREAM on a HEADERS frame.
        this.stream.sendTrailers((this.trailers ?? {}) as http2.OutgoingHttpHeaders);
      });
    }
  }

  write(chunk: Buffer): boolean {
    this.bytesSent += chunk.length;
    return this.stream.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.stream.once('drain', cb);
  }

  end(trailers: HeaderMap | null): void {
    if (this.finished) return;
    this.finished = true;
    this.trailers = trailers;
    this.stream.end();
  }

  reset(): void {
    this.finished = true;
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }

  onDone(cb: () => void): void {
    this.doneCb = cb;
  }
}
