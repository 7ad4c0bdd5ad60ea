// ext_authz's grpc_service: envoy.service.auth.v3.Authorization/Check as one unary
// call to the authorizer's cluster (grpc-unary.ts). A call that fails (no host,
// timeout, a non-OK grpc-status, bytes that do not decode) is an error; a
// CheckResponse is an allow or a denial (ext-authz-result.ts).
import type { EnvoyResource } from '../../../api/envoy/registry.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { decodeCheckResponse, encodeCheckRequest } from './ext-authz-check.ts';
import { CHECK_PATH, type GrpcTarget } from './ext-authz-common.ts';
import { fromCheckResponse, type AuthzResult } from './ext-authz-result.ts';
import { grpcUnary } from './grpc-unary.ts';

export function callGrpcService(
  cluster: Cluster,
  target: GrpcTarget,
  request: EnvoyResource,
  done: (r: AuthzResult) => void,
): () => void {
  let message: Buffer;
  try {
    message = encodeCheckRequest(request);
  } catch (err) {
    // Only a header value the registry refuses could get here; the check fails as an error.
    queueMicrotask(() => done({ status: 'error', reason: (err as Error).message }));
    return () => {};
  }
  let metadata: HeaderMap = target.metadata;
  if (!target.skipEnvoyHeaders) {
    // What Envoy's async client adds to each call unless skip_envoy_headers.
    metadata = { ...metadata, 'x-envoy-internal': 'true' };
    if (target.timeoutMs > 0) metadata['x-envoy-expected-rq-timeout-ms'] = String(target.timeoutMs);
  }
  return grpcUnary(
    cluster,
    {
      path: CHECK_PATH,
      authority: target.authority,
      metadata,
      message,
      timeoutMs: target.timeoutMs,
      maxResponseBytes: target.maxResponseBytes,
    },
    (r) => {
      if (!r.ok)
        return done({ status: 'error', reason: `grpc-status ${r.grpcStatus} ${r.message}` });
      let decoded;
      try {
        decoded = decodeCheckResponse(r.message);
      } catch (err) {
        return done({ status: 'error', reason: (err as Error).message });
      }
      done(fromCheckResponse(decoded));
    },
  );
}
