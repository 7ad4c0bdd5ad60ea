// The CheckRequest an authorizer receives (envoy.service.auth.v3, AttributeContext):
// source and destination peers (addresses, mTLS identities), and for HTTP the
// request's method, path, host, scheme, protocol, headers and buffered body. The
// HTTP service receives the same facts as a plain HTTP request (ext-authz-http.ts).
import {
  decodeResource,
  encodeResource,
  typeUrlOf,
  type EnvoyResource,
} from '../../../api/envoy/registry.ts';
import type { Obj } from '../config/values.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { ExtAuthzConfig } from './ext-authz-config.ts';
import {
  dynamicMetadata,
  localPrincipal,
  peerCertificatePem,
  peerPrincipal,
  requestedServerName,
  startTime,
  type FactsContext,
} from './request-facts.ts';

const CHECK_REQUEST = typeUrlOf('envoy.service.auth.v3.CheckRequest');
const CHECK_RESPONSE = 'envoy.service.auth.v3.CheckResponse';
/** Tells the authorizer whether it got the whole body (with_request_body). */
export const PARTIAL_BODY_HEADER = 'x-envoy-auth-partial-body';

export interface CheckBody {
  data: Buffer;
  /** allow_partial_message cut the body at max_request_bytes. */
  partial: boolean;
}

/** What goes into a check besides the request itself. */
export interface PeerOptions {
  includePeerCertificate: boolean;
  includeTlsSession: boolean;
}

type HeaderList = [string, string | string[]][];

/**
 * The client's headers as the check carries them (pseudo-headers included, names
 * lowercase), kept by allowed_headers (all when unset) unless disallowed_headers
 * names them.
 */
export function checkHeaders(
  ctx: FactsContext,
  cfg: Pick<ExtAuthzConfig, 'allowedHeaders' | 'disallowedHeaders'>,
): HeaderList {
  const r = ctx.request;
  const all: HeaderList = [
    [':authority', r.authority],
    [':method', r.method],
    [':path', r.path],
    [':scheme', r.scheme],
  ];
  const h = r.headers;
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) all.push([k, v]);
  }
  const allowed = cfg.allowedHeaders;
  const disallowed = cfg.disallowedHeaders;
  if (!allowed && !disallowed) return all;
  return all.filter(([k]) => (!allowed || allowed(k)) && !(disallowed && disallowed(k)));
}

function joined(v: string | string[]): string {
  return Array.isArray(v) ? v.join(',') : v;
}

function socketAddress(address: string, port: number): Obj {
  return { socket_address: { address, port_value: port } };
}

/** AttributeContext.source and .destination of the downstream connection. */
function peers(ctx: FactsContext, opts: PeerOptions): Obj {
  const r = ctx.request;
  const source: Obj = { address: socketAddress(r.remoteAddress, r.remotePort) };
  const principal = peerPrincipal(ctx);
  if (principal !== '') source.principal = principal;
  if (opts.includePeerCertificate) {
    const pem = peerCertificatePem(ctx);
    if (pem) source.certificate = encodeURIComponent(pem);
  }
  const destination: Obj = { address: socketAddress(r.localAddress, r.localPort) };
  const local = localPrincipal(ctx);
  if (local !== '') destination.principal = local;
  const attrs: Obj = { source, destination };
  const sni = requestedServerName(ctx);
  if (opts.includeTlsSession && sni !== '') attrs.tls_session = { sni };
  return attrs;
}

/** The CheckRequest of an HTTP request. */
export function httpCheckRequest(
  ctx: FactsContext,
  cfg: ExtAuthzConfig,
  contextExtensions: Readonly<Record<string, string>>,
  body: CheckBody | null,
): EnvoyResource {
  const r = ctx.request;
  const list = checkHeaders(ctx, cfg);
  if (body) list.push([PARTIAL_BODY_HEADER, body.partial ? 'true' : 'false']);
  const http: Obj = {
    id: r.header('x-request-id') ?? '',
    method: r.method,
    path: r.path,
    host: r.authority,
    scheme: r.scheme,
    size: body ? body.data.length : 0,
    protocol: r.protocol,
  };
  if (cfg.encodeRawHeaders) {
    const raw: Obj[] = [];
    for (const [key, v] of list)
      for (const one of Array.isArray(v) ? v : [v])
        raw.push({ key, raw_value: Buffer.from(one, 'latin1') });
    http.header_map = { headers: raw };
  } else {
    http.headers = headerMapOf(list, false);
  }
  if (body) {
    if (cfg.body?.packAsBytes) http.raw_body = body.data;
    else http.body = body.data.toString('utf8');
  }
  const attributes: Obj = {
    ...peers(ctx, cfg),
    request: { time: new Date(startTime(ctx)).toISOString(), http },
    context_extensions: contextExtensions,
  };
  const md = metadataContext(ctx, cfg.metadataNamespaces);
  if (md) attributes.metadata_context = md;
  return { '@type': CHECK_REQUEST, attributes };
}

/** The CheckRequest of a connection (network filter): peers only. */
export function connectionCheckRequest(ctx: FactsContext, opts: PeerOptions): EnvoyResource {
  return { '@type': CHECK_REQUEST, attributes: peers(ctx, opts) };
}

/** metadata_context_namespaces: the request's dynamic metadata under those names. */
function metadataContext(ctx: FactsContext, namespaces: readonly string[]): Obj | undefined {
  if (namespaces.length === 0) return undefined;
  const md = dynamicMetadata(ctx);
  const filterMetadata: Obj = {};
  for (const ns of namespaces) {
    const v = md.get(ns);
    if (v) filterMetadata[ns] = v;
  }
  return Object.keys(filterMetadata).length > 0 ? { filter_metadata: filterMetadata } : undefined;
}

export function encodeCheckRequest(req: EnvoyResource): Buffer {
  return encodeResource(req).value;
}

/** A CheckResponse from its bytes; throws PETREL_ENVOY_DECODE on bad bytes. */
export function decodeCheckResponse(bytes: Uint8Array): Obj {
  return decodeResource(CHECK_RESPONSE, bytes) as Obj;
}

/** The headers of a check request as a plain map (HTTP service): one value per name, or raw. */
export function headerMapOf(list: HeaderList, raw: boolean): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of list) {
    const cur = out[k];
    if (cur === undefined) out[k] = raw ? v : joined(v);
    else out[k] = raw ? [...[cur].flat(), ...[v].flat()] : `${joined(cur)},${joined(v)}`;
  }
  return out;
}
