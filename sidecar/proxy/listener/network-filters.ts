// The network filters a filter chain runs on each connection before its terminal
// filter (http_connection_manager or tcp_proxy): network RBAC, network ext_authz and
// Istio's metadata_exchange. RBAC and ext_authz run in config order once the
// connection's facts are known (after the chain's TLS handshake); the first refusal
// closes the connection before the terminal filter sees it, and the refused
// connection is recorded like any other (access log, connection_termination_details),
// with nothing sent upstream. RBAC decides at once; ext_authz waits for its
// authorizer while the connection is held (nothing read from it, nothing connected
// upstream). An admitted connection then starts the metadata exchange
// (tcp/metadata-exchange.ts).
import type net from 'node:net';
import type { Issues } from '../config/issues.ts';
import type { Obj } from '../config/values.ts';
import { ConnectionFacts } from '../filters/connection-facts.ts';
import {
  NETWORK_EXT_AUTHZ_TYPE,
  NetworkExtAuthzFilter,
  compileNetworkExtAuthz,
  type NetworkExtAuthzConfig,
} from '../filters/network-ext-authz.ts';
import {
  NETWORK_RBAC_TYPE,
  NetworkRbacFilter,
  compileNetworkRbac,
  type ConnectionVerdict,
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
  | { name: string; kind: 'ext_authz'; authz: NetworkExtAuthzConfig }
  | { name: string; kind: 'metadata_exchange'; mx: MetadataExchangeConfig };

const TYPES = new Set([NETWORK_RBAC_TYPE, NETWORK_EXT_AUTHZ_TYPE, METADATA_EXCHANGE_TYPE]);

/** Whether this proxy has a (non-terminal) network filter of that config type. */
export function isNetworkFilterType(typeName: string | undefined): boolean {
  return typeName !== undefined && TYPES.has(typeName);
}

export function compileNetworkFilter(
  name: string,
  typeName: string,
  config: Obj,
  issues: Issues,
): NetworkFilterSpec {
  if (typeName === METADATA_EXCHANGE_TYPE)
    return { name, kind: 'metadata_exchange', mx: compileMetadataExchange(config, issues) };
  if (typeName === NETWORK_EXT_AUTHZ_TYPE)
    return { name, kind: 'ext_authz', authz: compileNetworkExtAuthz(config, issues) };
  return { name, kind: 'rbac', rbac: compileNetworkRbac(config, issues) };
}

/** A filter that admits or refuses connections: at once (a verdict) or later (through `done`). */
interface AdmissionFilter {
  onConnection(
    facts: ConnectionFacts,
    done: (v: ConnectionVerdict) => void,
  ): ConnectionVerdict | (() => void);
}

interface Admission {
  filter: AdmissionFilter;
  /** delay_deny of a network RBAC filter: how long a refused connection is held open. */
  delayDenyMs: number;
}

export interface NetworkFilters {
  /** RBAC and ext_authz filters, in config order. */
  readonly admission: readonly Admission[];
  /** The chain's metadata exchange (Istio puts one on inbound TCP chains). */
  readonly mx: MetadataExchangeConfig | undefined;
}

export function buildNetworkFilters(
  specs: readonly NetworkFilterSpec[],
  runtime: ProxyRuntime,
): NetworkFilters {
  const stats = runtime.stats;
  const admission: Admission[] = [];
  let mx: MetadataExchangeConfig | undefined;
  for (const s of specs) {
    if (s.kind === 'rbac')
      admission.push({
        filter: new NetworkRbacFilter(s.name, s.rbac, stats),
        delayDenyMs: s.rbac.delayDenyMs,
      });
    else if (s.kind === 'ext_authz')
      admission.push({
        filter: new NetworkExtAuthzFilter(s.name, s.authz, runtime.clusters, stats),
        delayDenyMs: 0,
      });
    else mx = s.mx;
  }
  return { admission, mx };
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

/** What a caller that cannot wait for an authorizer gets: a refusal, never an unchecked connection. */
const CANNOT_WAIT: ConnectionVerdict = {
  admitted: false,
  details: 'ext_authz_error',
  flag: 'UAEX',
};

/**
 * Runs the chain's network filters on a new connection. True: admitted now, hand it
 * to the terminal filter. False: refused (and being closed), or held while an
 * authorizer decides, in which case `onAdmitted` runs once every filter admitted it.
 */
export function admitConnection(
  filters: NetworkFilters,
  socket: net.Socket,
  conn: ConnectionInfo,
  serverName: string,
  runtime: ProxyRuntime,
  onAdmitted?: () => void,
): boolean {
  const list = filters.admission;
  if (list.length === 0) return true;
  const facts = new ConnectionFacts(conn, serverName);
  let cancel: (() => void) | null = null;
  const onClose = (): void => cancel?.();
  const refused = (v: ConnectionVerdict, delayMs: number): false => {
    if (!v.admitted) refuse(socket, conn, serverName, v.details, delayMs, runtime, v.flag);
    return false;
  };
  // Runs the filters from `from` on; true when each of them admitted at once.
  const run = (from: number): boolean => {
    for (let i = from; i < list.length; i++) {
      const { filter, delayDenyMs } = list[i]!;
      const v = filter.onConnection(facts, (verdict) => {
        cancel = null;
        socket.removeListener('close', onClose);
        if (socket.destroyed) return;
        if (!verdict.admitted) refused(verdict, delayDenyMs);
        else if (run(i + 1)) onAdmitted!();
      });
      if (typeof v !== 'function') {
        if (!v.admitted) return refused(v, delayDenyMs);
        continue;
      }
      if (!onAdmitted) {
        v();
        return refused(CANNOT_WAIT, 0);
      }
      cancel = v;
      // A client that leaves while the authorizer thinks cancels the check.
      socket.once('close', onClose);
      return false;
    }
    return true;
  };
  return run(0);
}

function refuse(
  socket: net.Socket,
  conn: ConnectionInfo,
  serverName: string,
  details: string,
  delayMs: number,
  runtime: ProxyRuntime,
  flag: string | undefined,
): void {
  const rec = new RequestRecord(conn.listenerName, 'TCP', performance.now());
  rec.setDownstream(conn, serverName);
  rec.connectionTerminationDetails = details;
  if (flag) rec.addFlag(flag);
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
