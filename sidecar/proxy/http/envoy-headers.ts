// Header hygiene at the proxy boundary: hop-by-hop headers never cross a hop
// (RFC 9110 §7.6.1; HTTP/2 forbids them outright), and Envoy's own headers are
// added the way the connection manager does.
import { randomUUID } from 'node:crypto';
import type { HeaderMap } from '../upstream/types.ts';
import type { HcmConfig } from './hcm-config.ts';
import type { ConnectionInfo } from './request-context.ts';
import { applyXfcc } from './xfcc.ts';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
];
// What never goes upstream besides hop-by-hop headers: the authority travels apart
// (`host` is rebuilt by the pool), undici refuses `expect` (node's server has
// already answered 100-continue), and HTTP/2 pseudo-headers are fields of their own.
const H1_REQUEST_DROP = new Set([...HOP_BY_HOP, 'host', 'expect']);
const H2_REQUEST_DROP = new Set([
  ...H1_REQUEST_DROP,
  ':method',
  ':path',
  ':authority',
  ':scheme',
  ':protocol',
]);
const UPGRADE_REQUEST_DROP = new Set([...H1_REQUEST_DROP].filter((n) => n !== 'upgrade'));
const RESPONSE_DROP = new Set([...HOP_BY_HOP, 'te']);

export type RequestCodec = 'h1' | 'h2' | 'upgrade';

const CLOSE: readonly string[] = ['close'];
/** Nominated names a request keeps: `te` (filtered on its value instead), and on Upgrade `upgrade`. */
const REQUEST_KEEP: ReadonlySet<string> = new Set(['te']);
const UPGRADE_KEEP: ReadonlySet<string> = new Set(['te', 'upgrade']);
const NONE_KEPT: ReadonlySet<string> = new Set();

/**
 * The names a `connection` header nominates as hop-by-hop (lowercase, none empty),
 * less those in `keep`; null when none. Runs per request: the usual values
 * allocate nothing.
 */
function connectionTokens(
  conn: string | string[],
  keep: ReadonlySet<string>,
): readonly string[] | null {
  const text = String(conn);
  // The usual values name no header beyond the fixed hop-by-hop ones.
  if (text === 'keep-alive') return null;
  if (text === 'close') return CLOSE;
  let out: string[] | null = null;
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase();
    if (name !== '' && !keep.has(name)) (out ??= []).push(name);
  }
  return out;
}

/**
 * The request headers that go upstream: a copy of `h` without hop-by-hop headers,
 * `host`, `expect` and (HTTP/2) the pseudo-headers; `te` survives only as
 * "trailers" (what gRPC needs); an Upgrade request keeps `upgrade`. Copied rather
 * than deleted in place: `delete` turns V8 objects into slow dictionaries, and
 * the map is read and extended again on every hop.
 */
export function upstreamRequestHeaders(h: HeaderMap, codec: RequestCodec): HeaderMap {
  const drop =
    codec === 'h1' ? H1_REQUEST_DROP : codec === 'h2' ? H2_REQUEST_DROP : UPGRADE_REQUEST_DROP;
  const conn = h.connection;
  const tokens =
    conn === undefined
      ? null
      : connectionTokens(conn, codec === 'upgrade' ? UPGRADE_KEEP : REQUEST_KEEP);
  const out: HeaderMap = {};
  for (const k in h) {
    if (drop.has(k) || (tokens !== null && tokens.includes(k))) continue;
    const v = h[k];
    if (k === 'te' && v !== undefined && String(v).toLowerCase() !== 'trailers') continue;
    out[k] = v;
  }
  return out;
}

/**
 * The response headers without hop-by-hop ones (and `te`): `h` itself when it has
 * none (no copy), else a copy without them, for the same reason as above.
 */
export function stripResponseHopByHop(h: HeaderMap): HeaderMap {
  const conn = h.connection;
  let tokens: readonly string[] | null = null;
  if (conn === undefined) {
    let clean = true;
    for (const k in h) {
      if (RESPONSE_DROP.has(k)) {
        clean = false;
        break;
      }
    }
    if (clean) return h;
  } else {
    tokens = connectionTokens(conn, NONE_KEPT);
  }
  const out: HeaderMap = {};
  for (const k in h) {
    if (RESPONSE_DROP.has(k) || (tokens !== null && tokens.includes(k))) continue;
    out[k] = h[k];
  }
  return out;
}

/**
 * x-forwarded-for, x-forwarded-proto, x-request-id and x-forwarded-client-cert as
 * Envoy's connection manager sets them (use_remote_address, skip_xff_append,
 * generate_request_id, forward_client_cert_details; the connection's client
 * certificate, when its chain terminated mTLS, feeds XFCC).
 */
export function applyEnvoyRequestHeaders(
  h: HeaderMap,
  cfg: HcmConfig,
  conn: ConnectionInfo,
  scheme: string,
): string {
  const remoteAddress = conn.remoteAddress;
  if (cfg.useRemoteAddress) {
    if (!cfg.skipXffAppend) {
      const xff = h['x-forwarded-for'];
      h['x-forwarded-for'] =
        xff === undefined || xff === ''
          ? remoteAddress
          : `${Array.isArray(xff) ? xff.join(',') : xff},${remoteAddress}`;
    }
    h['x-forwarded-proto'] = scheme;
  } else if (h['x-forwarded-proto'] === undefined) {
    h['x-forwarded-proto'] = scheme;
  }
  applyXfcc(h, cfg.xfcc, conn.tlsSocket);
  if (cfg.via !== undefined) {
    const via = h.via;
    h.via = via === undefined ? cfg.via : `${String(via)},${cfg.via}`;
  }
  let id = h['x-request-id'];
  if (Array.isArray(id)) id = id[0];
  if ((id === undefined || id === '') && cfg.generateRequestId) {
    id = randomUUID();
    h['x-request-id'] = id;
  }
  return id ?? '';
}

export function applyServerHeader(h: HeaderMap, cfg: HcmConfig): void {
  if (
    cfg.serverHeader === 'OVERWRITE' ||
    (cfg.serverHeader === 'APPEND_IF_ABSENT' && h.server === undefined)
  )
    h.server = cfg.serverName;
}
