// ext_authz's http_service: the check is the client's request replayed to the
// authorizer's cluster — same method, path_prefix + path, same authority, the
// allowed headers, no body (or the buffered one) — and its answer decides: 200
// allows (selected headers go upstream and downstream), 5xx or no answer is an
// error, anything else is a denial passed to the client with its status and body.
import { applyMutations } from '../route/header-mutation.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { oneChunk } from './grpc-unary.ts';
import {
  checkHeaders,
  headerMapOf,
  PARTIAL_BODY_HEADER,
  type CheckBody,
} from './ext-authz-check.ts';
import type { ExtAuthzConfig, HttpTarget } from './ext-authz-config.ts';
import type { AuthzResult, HeaderEdit } from './ext-authz-result.ts';
import type { FactsContext } from './request-facts.ts';
import { sideCall, type SideResponse } from './side-call.ts';

/** The authorizer's answer body is read whole; a denial page bigger than this is an error. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** x-envoy-auth-headers-to-remove: request headers the authorizer consumed. */
const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';
// Never copied from the authorizer's response: they describe that response's framing.
const FRAMING = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
]);

export function callHttpService(
  ctx: FactsContext,
  cfg: ExtAuthzConfig,
  target: HttpTarget,
  cluster: Cluster,
  body: CheckBody | null,
  done: (r: AuthzResult) => void,
): () => void {
  const r = ctx.request;
  const headers = headerMapOf(
    checkHeaders(ctx, cfg).filter(([k]) => k.charCodeAt(0) !== 58 && k !== 'content-length'),
    cfg.encodeRawHeaders,
  );
  if (body) headers[PARTIAL_BODY_HEADER] = body.partial ? 'true' : 'false';
  // headers_to_add overwrite what the client sent; their values may use formatters.
  if (target.headersToAdd) applyMutations(headers, [target.headersToAdd], r);
  headers['content-length'] = String(body?.data.length ?? 0);
  // What Envoy's async client adds to every side request.
  if (target.timeoutMs > 0) headers['x-envoy-expected-rq-timeout-ms'] = String(target.timeoutMs);
  headers['x-envoy-internal'] = 'true';
  const data = body?.data;
  return sideCall(
    cluster,
    {
      method: r.method,
      path: target.pathPrefix + r.path,
      authority: r.authority,
      scheme: 'http',
      headers,
      body: data && data.length > 0 ? { replayable: false, open: () => oneChunk(data) } : null,
    },
    {
      http2: cluster.useHttp2(false),
      timeoutMs: target.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    },
    (res) =>
      done(
        res.ok
          ? fromHttpResponse(res.response, target)
          : { status: 'error', reason: `${res.failure}: ${res.message}` },
      ),
  );
}

/** Each value of each header the predicate selects, as edits of one kind. */
function select(
  headers: HeaderMap,
  pick: ((name: string) => boolean) | undefined,
  action: HeaderEdit['action'],
): HeaderEdit[] {
  const out: HeaderEdit[] = [];
  if (!pick) return out;
  for (const key in headers) {
    const v = headers[key];
    if (v === undefined || FRAMING.has(key) || !pick(key)) continue;
    const values = Array.isArray(v) ? v : [v];
    // Several values of one header (set-cookie) all go: the first replaces, the rest add.
    values.forEach((value, i) =>
      out.push({ key, value, action: i > 0 && action === 'set' ? 'add' : action }),
    );
  }
  return out;
}

export function fromHttpResponse(r: SideResponse, t: HttpTarget): AuthzResult {
  if (r.status >= 500) return { status: 'error', reason: `authorizer answered ${r.status}` };
  const h = r.headers;
  if (r.status !== 200)
    return {
      status: 'denied',
      httpStatus: r.status,
      headers: select(h, t.client, 'set'),
      body: r.body.toString('utf8'),
      metadata: undefined,
    };
  const removeHeader = h[HEADERS_TO_REMOVE];
  const remove = (Array.isArray(removeHeader) ? removeHeader.join(',') : (removeHeader ?? ''))
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  let metadata: Record<string, unknown> | undefined;
  for (const e of select(h, t.metadataFromHeaders, 'set')) (metadata ??= {})[e.key] = e.value;
  return {
    status: 'ok',
    request: [...select(h, t.upstream, 'set'), ...select(h, t.upstreamAppend, 'append')],
    remove,
    response: select(h, t.clientOnSuccess, 'add'),
    querySet: [],
    queryRemove: [],
    metadata,
  };
}
