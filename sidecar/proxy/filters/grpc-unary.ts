// A unary gRPC call to a cluster of this proxy, as Envoy's envoy_grpc client makes
// it: HTTP/2 POST to /<service>/<method> with one length-prefixed message, the
// answer's grpc-status in trailers (or in a trailers-only response).
//
// Why by hand instead of @grpc/grpc-js: a grpc-js channel resolves, balances and
// connects on its own, with its own TLS credentials. envoy_grpc names a *cluster of
// this proxy*, so the call has to take that cluster's endpoints, load balancer,
// circuit breakers and transport socket (ISTIO_MUTUAL with the workload's SDS
// certificate) — which only the proxy's own pools have (side-call.ts). What is left
// to write is the framing: a 5-byte prefix per message (compressed flag, uint32
// length; "Length-Prefixed-Message" in gRPC's PROTOCOL-HTTP2.md) and the status.
import { Readable } from 'node:stream';
import { httpToGrpcStatus } from '../http/local-reply.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { sideCall, type SideFailure, type SideResponse } from './side-call.ts';

export const GrpcStatus = {
  OK: 0,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** Envoy's default max_receive_message_length is unlimited; this bounds memory per call. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface UnaryCall {
  /** `/<package>.<Service>/<Method>`. */
  path: string;
  authority: string;
  /** initial_metadata and the like; lowercase names. */
  metadata: HeaderMap;
  message: Uint8Array;
  /** grpc-timeout and the local deadline; 0 for none. */
  timeoutMs: number;
  maxResponseBytes: number;
}

export type UnaryResult =
  { ok: true; message: Buffer } | { ok: false; grpcStatus: number; message: string };

export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The first message of a response body, or why there is none. */
export function unframeMessage(body: Buffer): Buffer | string {
  if (body.length < 5) return 'response has no message';
  if (body[0] !== 0) return 'compressed response messages are not accepted';
  const len = body.readUInt32BE(1);
  if (body.length < 5 + len) return 'response message is truncated';
  return body.subarray(5, 5 + len);
}

function failureStatus(f: SideFailure): number {
  if (f === 'timeout') return GrpcStatus.DEADLINE_EXCEEDED;
  if (f === 'too-large') return GrpcStatus.RESOURCE_EXHAUSTED;
  return GrpcStatus.UNAVAILABLE;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function decodeGrpcMessage(v: string | undefined): string {
  if (!v) return '';
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function toResult(r: SideResponse): UnaryResult {
  // Trailers-only responses carry grpc-status in the headers.
  const status = headerValue(r.trailers?.['grpc-status']) ?? headerValue(r.headers['grpc-status']);
  if (r.status !== 200 && status === undefined)
    return { ok: false, grpcStatus: httpToGrpcStatus(r.status), message: `HTTP ${r.status}` };
  if (status === undefined)
    return { ok: false, grpcStatus: GrpcStatus.INTERNAL, message: 'response has no grpc-status' };
  const code = Number(status);
  if (code !== GrpcStatus.OK) {
    const msg = headerValue(r.trailers?.['grpc-message']) ?? headerValue(r.headers['grpc-message']);
    return { ok: false, grpcStatus: code, message: decodeGrpcMessage(msg) };
  }
  const m = unframeMessage(r.body);
  return typeof m === 'string'
    ? { ok: false, grpcStatus: GrpcStatus.INTERNAL, message: m }
    : { ok: true, message: m };
}

/** Makes the call; returns a cancel function. `done` runs once, never synchronously. */
export function grpcUnary(
  cluster: Cluster,
  call: UnaryCall,
  done: (r: UnaryResult) => void,
): () => void {
  const headers: HeaderMap = {
    ...call.metadata,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  if (call.timeoutMs > 0) headers['grpc-timeout'] = grpcTimeout(call.timeoutMs);
  const body = frameMessage(call.message);
  return sideCall(
    cluster,
    {
      method: 'POST',
      path: call.path,
      authority: call.authority,
      scheme: 'http',
      headers,
      body: { replayable: false, open: () => oneChunk(body) },
    },
    // Framing adds 5 bytes to the message limit.
    { http2: true, timeoutMs: call.timeoutMs, maxResponseBytes: call.maxResponseBytes + 5 },
    (r) =>
      done(
        r.ok
          ? toResult(r.response)
          : { ok: false, grpcStatus: failureStatus(r.failure), message: r.message },
      ),
  );
}

/** A readable of one buffer (what the pools pipe upstream). */
export function oneChunk(buf: Buffer): NodeJS.ReadableStream {
  return Readable.from([buf], { objectMode: false });
}

/** The grpc-timeout header: at most 8 digits, so long timeouts go in seconds, then hours. */
export function grpcTimeout(ms: number): string {
  const millis = Math.ceil(ms);
  if (millis <= 99_999_999) return `${millis}m`;
  const seconds = Math.ceil(millis / 1000);
  return seconds <= 99_999_999
    ? `${seconds}S`
    : `${Math.min(Math.ceil(seconds / 3600), 99_999_999)}H`;
}
