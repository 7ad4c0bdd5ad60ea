// Envoy's local replies: the status codes, bodies and gRPC mapping a client of
// Envoy sees when the proxy itself answers.
import type { HeaderMap } from '../upstream/types.ts';

export const LocalBody = {
  noHealthyUpstream: 'no healthy upstream',
  timeout: 'upstream request timeout',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  connectFailure:
    'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  reset:
    'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  refused:
    'upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset',
  faultAbort: 'fault filter abort',
} as const;

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

export interface LocalReply {
  status: number;
  headers: HeaderMap;
  body: Buffer | null;
  grpcStatus: number | undefined;
}

/** Builds the reply; gRPC requests get a trailers-only response with grpc-status/grpc-message. */
export function buildLocalReply(
  status: number,
  body: string | Buffer | null,
  isGrpc: boolean,
  grpcStatus: number | undefined,
  extra: HeaderMap | undefined,
): LocalReply {
  const headers: HeaderMap = extra ? { ...extra } : {};
  if (isGrpc || grpcStatus !== undefined) {
    const gs = grpcStatus ?? httpToGrpcStatus(status);
    headers['content-type'] = 'application/grpc';
    headers['grpc-status'] = String(gs);
    const msg = body === null ? '' : body.toString();
    if (msg !== '') headers['grpc-message'] = encodeGrpcMessage(msg);
    return { status: 200, headers, body: null, grpcStatus: gs };
  }
  const buf =
    body === null
      ? null
      : typeof body === 'string'
        ? body === ''
          ? null
          : Buffer.from(body)
        : body;
  if (buf !== null && headers['content-type'] === undefined) headers['content-type'] = 'text/plain';
  headers['content-length'] = String(buf?.length ?? 0);
  return { status, headers, body: buf, grpcStatus: undefined };
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function encodeGrpcMessage(s: string): string {
  return s.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}
