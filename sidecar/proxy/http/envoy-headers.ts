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

/** Removes hop-by-hop request headers; `te` survives only as "trailers" (what gRPC needs). */
export function stripRequestHopByHop(h: HeaderMap, keepUpgrade: boolean): void {
  const conn = h.connection;
  if (conn !== undefined) {
    for (const t of String(conn).split(',')) {
      const name = t.trim().toLowerCase();
      if (name !== '' && !(keepUpgrade && name === 'upgrade') && name !== 'te') delete h[name];
    }
  }
  for (const name of HOP_BY_HOP)
    if (h[name] !== undefined && !(keepUpgrade && name === 'upgrade')) delete h[name];
  const te = h.te;
  if (te !== undefined && String(te).toLowerCase() !== 'trailers') delete h.te;
  // undici refuses `expect`; node's server has already answered 100-continue.
  if (h.expect !== undefined) delete h.expect;
}

export function stripResponseHopByHop(h: HeaderMap): void {
  const conn = h.connection;
  if (conn !== undefined) {
    for (const t of String(conn).split(',')) {
      const name = t.trim().toLowerCase();
      if (name !== '') delete h[name];
    }
  }
  for (const name of HOP_BY_HOP) if (h[name] !== undefined) delete h[name];
  if (h.te !== undefined) delete h.te;
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
