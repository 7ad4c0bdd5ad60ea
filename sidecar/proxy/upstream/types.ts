// The shapes the upstream side shares: what a pool sends and how it reports back.
// Headers are plain objects with lowercase names (node's IncomingHttpHeaders form).
import type { UpstreamTls } from '../tls/upstream.ts';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** A request body that can be read once per attempt (see http/replayable-body.ts). */
export interface BodySource {
  /** A fresh readable for one attempt; replays what was buffered, then streams the rest. */
  open(): NodeJS.ReadableStream;
  /** False once the buffered prefix was dropped (over the limit): no more attempts possible. */
  readonly replayable: boolean;
}

export interface UpstreamRequest {
  method: string;
  /** Path with query, as sent on the wire. */
  path: string;
  authority: string;
  scheme: string;
  /** Regular headers only (no pseudo-headers, no hop-by-hop headers). */
  headers: HeaderMap;
  /** null when the request has no body. */
  body: BodySource | null;
}

/** Why an upstream attempt failed before (or while) a response arrived. */
export type UpstreamFailure =
  'connect-failure' | 'reset' | 'refused-stream' | 'overflow' | 'timeout';

export interface UpstreamHandler {
  onHeaders(status: number, headers: HeaderMap, endStream: boolean): void;
  /** Return false to ask for backpressure; the handler calls `resume()` later. */
  onData(chunk: Buffer): boolean;
  onEnd(trailers: HeaderMap | null): void;
  onError(failure: UpstreamFailure, err: Error): void;
}

export interface UpstreamStream {
  pause(): void;
  resume(): void;
  /** Abandon the attempt (per-try timeout, downstream gone, retry). */
  abort(): void;
}

export interface UpstreamPool {
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  send(req: UpstreamRequest, handler: UpstreamHandler): UpstreamStream;
  /** Stop taking requests; finish in-flight ones, then release connections. */
  close(): void;
}

export interface PoolOptions {
  connectTimeoutMs: number;
  /** HTTP/2 max concurrent streams / HTTP/1.1 max idle keep-alive time. */
  idleTimeoutMs: number;
  /**
   * max_requests_per_connection: after this many requests (HTTP/2 streams) a
   * connection takes no more and closes once they finish; 0 or unset = no limit.
   */
  maxRequestsPerConnection?: number;
  /** upstream_bind_config.source_address: the local IP connections leave from (Istio's 127.0.0.6). */
  sourceAddress?: string;
  /** TLS to this host (transport_socket / transport_socket_matches); undefined: plaintext. */
  transport?: UpstreamTls;
  /** auto_sni: the SNI for this host; auto_san_validation: the DNS name its certificate must carry. */
  sni?: string;
  sanDns?: string;
  /** Told the verified server identity (first URI SAN) of each new TLS connection. */
  onPeer?: (principal: string) => void;
}
