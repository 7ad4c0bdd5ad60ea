// The network filters a filter chain runs on each connection before its terminal
// filter (http_connection_manager or tcp_proxy): network RBAC and Istio's
// metadata_exchange. RBAC filters run in order once the connection's facts are known
// (after the chain's TLS handshake); the first refusal closes the connection before
// the terminal filter sees it, and the refused connection is recorded like any other
// (access log, connection_termination_details), with nothing sent upstream. An
// admitted connection then starts the metadata exchange (tcp/metadata-exchange.ts).
import type net from 'node:net';
import type { Issues } from '../config/issues.ts';
import type { Obj } from '../config/values.ts';
import { ConnectionFacts } from '../filters/connection-facts.ts';
import {
  NETWORK_RBAC_TYPE,
  NetworkRbacFilter,
  compileNetworkRbac,
  type NetworkRbacConfig,
} from '../filters/network-rbac.ts';
import type { ConnectionInfo } from '../http/request-context.ts';
import { RequestRecord } from '../record.ts';
import type { ProxyRuntime } from '../runtime.ts';
import {
  compileMetadataExchange,
  METADATA_EXCHANGE_TYPE,
  startExchange,
  type MetadataExchangeConfig,
  type PeerExchangeSession,
} from '../tcp/metadata-exchange.ts';

export type NetworkFilterSpec =
  | { name: string; kind: 'rbac'; rbac: NetworkRbacConfig }
  | { name: string; kind: 'metadata_exchange'; mx: MetadataExchangeConfig };

/** Whether this proxy has a (non-terminal) network filter of that config type. */
export function isNetworkFilterType(typeName: string | undefined): boolean {
  return typeName === NETWORK_RBAC_TYPE || typeName === METADATA_EXCHANGE_TYPE;
}

export function compileNetworkFilter(
  name: string,
  typeName: string,
  config: Obj,
  issues: Issues,
): NetworkFilterSpec {
  return typeName === METADATA_EXCHANGE_TYPE
    ? { name, kind: 'metadata_exchange', mx: compileMetadataExchange(config, issues) }
    : { name, kind: 'rbac', rbac: compileNetworkRbac(config, issues) };
}

export interface NetworkFilters {
  readonly rbac: readonly NetworkRbacFilter[];
  /** The chain's metadata exchange (Istio puts one on inbound TCP chains). */
  readonly mx: MetadataExchangeConfig | undefined;
}

export function buildNetworkFilters(
  specs: readonly NetworkFilterSpec[],
  runtime: ProxyRuntime,
): NetworkFilters {
  const stats = runtime.stats;
  const rbac: NetworkRbacFilter[] = [];
  let mx: MetadataExchangeConfig | undefined;
  for (const s of specs) {
    if (s.kind === 'rbac') rbac.push(new NetworkRbacFilter(s.name, s.rbac, stats));
    else mx = s.mx;
  }
  return { rbac, mx };
}

/**
 * The chain's metadata exchange on an admitted TLS connection (`alpn` as negotiated);
 * undefined when the chain has none.
 */
export function startChainExchange(
  filters: NetworkFilters,
  socket: net.Socket,
  alpn: string,
  runtime: ProxyRuntime,
): PeerExchangeSession | undefined {
  return filters.mx ? startExchange(socket, alpn, filters.mx, runtime) : undefined;
}

/**
 * Runs the chain's network filters on a new connection. True: hand it to the
 * terminal filter. False: it was refused and is being closed.
 */
export function admitConnection(
  filters: NetworkFilters,
  socket: net.Socket,
  conn: ConnectionInfo,
  serverName: string,
  runtime: ProxyRuntime,
): boolean {
  if (filters.rbac.length === 0) return true;
  const facts = new ConnectionFacts(conn, serverName);
  for (const f of filters.rbac) {
    const verdict = f.onConnection(facts);
    if (verdict.admitted) continue;
    refuse(socket, conn, serverName, verdict.details, f.cfg.delayDenyMs, runtime);
    return false;
  }
  return true;
}

function refuse(
  socket: net.Socket,
  conn: ConnectionInfo,
  serverName: string,
  details: string,
  delayMs: number,
  runtime: ProxyRuntime,
): void {
  const rec = new RequestRecord(conn.listenerName, 'TCP', performance.now());
  rec.setDownstream(conn, serverName);
  rec.connectionTerminationDetails = details;
  socket.once('close', () => {
    rec.bytesReceived = socket.bytesRead;
    rec.duration = performance.now() - rec.startMono;
    runtime.onRequestComplete?.(rec);
  });
  // Nothing the client sends is read or forwarded; Envoy closes without flushing.
  socket.pause();
  if (delayMs > 0) {
    const t = setTimeout(() => socket.destroy(), delayMs);
    socket.once('close', () => clearTimeout(t));
  } else socket.destroy();
}
