// What the security filters need to know about a request beyond its headers: the
// peer's mTLS identity, the addresses (direct peer, client behind x-forwarded-for,
// destination), the SNI, and per-request dynamic metadata that one filter writes
// and another reads (jwt_authn's payload for RBAC). The filter context is the
// connection manager's RequestContext, or for network filters a connection seen as
// a request without headers (filters/connection-facts.ts); these accessors read its
// record, connection and HCM config, and fall back to the plain RequestView when a
// field is absent, so the filters stay usable with any such context.
import type { TLSSocket } from 'node:tls';
import type { HcmConfig } from '../http/hcm-config.ts';
import { normalizeIp } from '../listener/filter-chain-match.ts';
import type { RequestRecord } from '../record.ts';
import type { OriginalDestination } from '../runtime.ts';
import type { RequestView } from '../route/types.ts';

/** What the accessors need: a request view, plus the internals below when present. */
export interface FactsContext {
  readonly request: RequestView;
}

interface ContextInternals {
  record?: Pick<RequestRecord, 'peerPrincipal' | 'requestedServerName'> &
    Partial<Pick<RequestRecord, 'localPrincipal' | 'startTime'>>;
  hcm?: HcmConfig;
  conn?: {
    remoteAddress: string;
    localAddress: string;
    localPort: number;
    destination?: OriginalDestination;
    tlsSocket?: TLSSocket;
  };
}

function internals(ctx: FactsContext): ContextInternals {
  return ctx as unknown as ContextInternals;
}

/** The URI SAN of the peer's certificate on an mTLS connection ('' without one). */
export function peerPrincipal(ctx: FactsContext): string {
  return internals(ctx).record?.peerPrincipal ?? '';
}

/** The URI SAN of the certificate this proxy presented on the connection ('' without TLS). */
export function localPrincipal(ctx: FactsContext): string {
  return internals(ctx).record?.localPrincipal ?? '';
}

/** The peer's certificate as PEM, when the connection is TLS and the peer sent one. */
export function peerCertificatePem(ctx: FactsContext): string | undefined {
  return internals(ctx).conn?.tlsSocket?.getPeerX509Certificate()?.toString();
}

/** Date.now() when the request (or connection) began; now when unknown. */
export function startTime(ctx: FactsContext): number {
  return internals(ctx).record?.startTime ?? Date.now();
}

/** SNI the client sent ('' without TLS or SNI). */
export function requestedServerName(ctx: FactsContext): string {
  return internals(ctx).record?.requestedServerName ?? '';
}

/** The connection's peer address: Envoy's direct_remote_ip. */
export function directRemoteIp(ctx: FactsContext): string {
  return normalizeIp(ctx.request.remoteAddress);
}

/**
 * The client address Envoy's HCM derives (its remote_ip): with use_remote_address
 * the connection peer is appended to x-forwarded-for, then xff_num_trusted_hops
 * entries are skipped from the right and the next one is the client; without it the
 * header as received is read the same way. Out of range: the connection peer.
 * See Envoy's "x-forwarded-for" docs (config_http_conn_man_headers_x-forwarded-for).
 */
export function remoteIp(ctx: FactsContext): string {
  const peer = directRemoteIp(ctx);
  const hcm = internals(ctx).hcm;
  const hops = hcm?.xffTrustedHops ?? 0;
  const header = ctx.request.header('x-forwarded-for');
  const list =
    header === undefined
      ? []
      : header
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  // The data path has already appended the peer when use_remote_address is on.
  if (hcm?.useRemoteAddress && hcm.skipXffAppend) list.push(peer);
  if (hcm?.useRemoteAddress && hops === 0) return peer;
  const at = list.length - 1 - hops;
  return at >= 0 ? normalizeIp(list[at]!) : peer;
}

/** Where the client meant to connect: the original destination under capture, else the local address. */
export function destination(ctx: FactsContext): { ip: string; port: number } {
  const d = internals(ctx).conn?.destination;
  if (d) return { ip: normalizeIp(d.address), port: d.port };
  return { ip: normalizeIp(ctx.request.localAddress), port: ctx.request.localPort };
}

export type MetadataStruct = Record<string, unknown>;

const metadata = new WeakMap<object, Map<string, MetadataStruct>>();

/** Envoy's dynamic metadata of one request: filter namespace → struct. */
export function dynamicMetadata(ctx: FactsContext): Map<string, MetadataStruct> {
  const key = ctx.request as object;
  let m = metadata.get(key);
  if (!m) metadata.set(key, (m = new Map()));
  return m;
}

/** Merges `fields` into the metadata of `namespace` (Envoy's setDynamicMetadata). */
export function setDynamicMetadata(
  ctx: FactsContext,
  namespace: string,
  fields: MetadataStruct,
): void {
  const m = dynamicMetadata(ctx);
  m.set(namespace, { ...(m.get(namespace) ?? {}), ...fields });
}
