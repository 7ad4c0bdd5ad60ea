// Compiles an envoy.config.listener.v3.Listener: address, binding, listener filters
// and filter chains (network filters such as RBAC, then HttpConnectionManager or
// TcpProxy as the terminal filter).
import { Issues } from '../config/issues.ts';
import {
  resolveTypedConfig,
  anyTypeName,
  asArray,
  asObj,
  asString,
  durationMs,
  wrappedBool,
  type Obj,
} from '../config/values.ts';
import { compileHcm, HCM_TYPE, type HcmConfig } from '../http/hcm-config.ts';
import { compileTcpProxy, TCP_PROXY_TYPE, type TcpProxyConfig } from '../tcp/tcp-proxy.ts';
import { parseSocketAddress } from '../upstream/endpoints.ts';
import type { TrafficDirection } from '../record.ts';
import { compileChainMatch, needsInspection, type ChainMatch } from './filter-chain-match.ts';
import { compilePortPredicate, type PortPredicate } from './filter-predicate.ts';
import {
  compileNetworkFilter,
  isNetworkFilterType,
  type NetworkFilterSpec,
} from './network-filters.ts';
import type { DownstreamTlsSpec } from '../tls/context-spec.ts';
import { compileDownstreamTransport } from '../tls/transport-socket.ts';

export type ChainKind =
  { kind: 'http'; config: HcmConfig } | { kind: 'tcp'; config: TcpProxyConfig };

export interface ChainSpec {
  name: string;
  match: ChainMatch;
  /** Network filters before the terminal one, in order. */
  network: NetworkFilterSpec[];
  terminal: ChainKind;
  /** The chain's DownstreamTlsContext; undefined for plaintext (raw_buffer). */
  tls: DownstreamTlsSpec | undefined;
}

export interface ListenerSpec {
  name: string;
  address: string;
  port: number;
  bindToPort: boolean;
  /** use_original_dst: hand connections to the listener of their original destination. */
  useOriginalDst: boolean;
  /** The original_dst listener filter: match chains on the original destination. */
  originalDstFilter: boolean;
  chains: ChainSpec[];
  defaultChain: ChainSpec | undefined;
  inspect: boolean;
  /**
   * Whether no inspector runs for a connection to `port`: every tls/http inspector
   * the listener lists is filter_disabled for it. False when none is listed (chains
   * that match on what inspection finds are inspected then, as before).
   */
  inspectionOffFor: (port: number) => boolean;
  inspectTimeoutMs: number;
  /** traffic_direction, for telemetry's reporter (source on OUTBOUND, destination on INBOUND). */
  direction: TrafficDirection;
  /** The resource as received, to tell an unchanged listener from an updated one. */
  source: string;
}

const LISTENER_FILTERS = new Map([
  ['envoy.extensions.filters.listener.original_dst.v3.OriginalDst', 'original_dst'],
  ['envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', 'tls_inspector'],
  ['envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', 'http_inspector'],
]);

export function compileListener(
  name: string,
  l: Obj,
): { spec: ListenerSpec | undefined; errors: string[] } {
  const issues = new Issues();
  const declared = asString(l.name);
  if (declared !== undefined && declared !== name)
    issues.add(`name "${declared}" does not match the resource name`, 'name');
  for (const f of [
    'api_listener',
    'internal_listener',
    'udp_listener_config',
    'filter_chain_matcher',
    'additional_addresses',
    'socket_options',
  ]) {
    if (l[f] !== undefined && !(Array.isArray(l[f]) && (l[f] as unknown[]).length === 0))
      issues.add(`${f} is not supported`, f);
  }
  if (wrappedBool(l.transparent, false))
    issues.add('transparent listeners (TPROXY) are not supported', 'transparent');
  const addr = parseSocketAddress(l.address, issues, 'address', false);
  let originalDstFilter = false;
  const inspectorsOff: PortPredicate[] = [];
  asArray(l.listener_filters).forEach((f, i) => {
    const o = asObj(f);
    const t = anyTypeName(o?.typed_config);
    const kind = t ? LISTENER_FILTERS.get(t) : undefined;
    if (!kind)
      return issues.add(
        `listener filter ${asString(o?.name) ?? t ?? '(unnamed)'} is not supported`,
        `listener_filters[${i}]`,
      );
    if (kind === 'original_dst') originalDstFilter = true;
    else
      inspectorsOff.push(
        o!.filter_disabled === undefined
          ? () => false
          : compilePortPredicate(
              o!.filter_disabled,
              issues.at('listener_filters').at(i).at('filter_disabled'),
            ),
      );
  });
  const chains: ChainSpec[] = [];
  asArray(l.filter_chains).forEach((c, i) => {
    const spec = compileChain(c, issues.at('filter_chains').at(i), `${i}`);
    if (spec) chains.push(spec);
  });
  const defaultChain =
    l.default_filter_chain !== undefined
      ? compileChain(l.default_filter_chain, issues.at('default_filter_chain'), 'default')
      : undefined;
  if (chains.length === 0 && !defaultChain && asArray(l.filter_chains).length === 0)
    issues.add('needs at least one filter chain', 'filter_chains');
  const bindToPort = wrappedBool(
    l.bind_to_port,
    wrappedBool(asObj(l.deprecated_v1)?.bind_to_port, true),
  );
  if (issues.count > 0 || !addr) return { spec: undefined, errors: issues.lines };
  return {
    spec: {
      name,
      address: addr.address,
      port: addr.port,
      bindToPort,
      useOriginalDst: wrappedBool(l.use_original_dst, false),
      originalDstFilter,
      chains,
      defaultChain,
      inspect: needsInspection(chains.map((c) => c.match)),
      inspectionOffFor: (port) =>
        inspectorsOff.length > 0 && inspectorsOff.every((off) => off(port)),
      inspectTimeoutMs:
        durationMs(l.listener_filters_timeout, issues, 'listener_filters_timeout') ?? 15_000,
      direction: trafficDirection(l.traffic_direction),
      source: JSON.stringify(l),
    },
    errors: [],
  };
}

function compileChain(raw: unknown, issues: Issues, fallbackName: string): ChainSpec | undefined {
  const c = asObj(raw);
  if (!c) {
    issues.add('expected a FilterChain');
    return undefined;
  }
  const tls = compileDownstreamTransport(c.transport_socket, issues.at('transport_socket'));
  const match = compileChainMatch(asObj(c.filter_chain_match), issues.at('filter_chain_match'));
  const filters = asArray(c.filters);
  let terminal: ChainKind | undefined;
  const network: NetworkFilterSpec[] = [];
  filters.forEach((f, i) => {
    const o = asObj(f);
    const fname = asString(o?.name) ?? '(unnamed)';
    const t = anyTypeName(o?.typed_config);
    const fi = issues.at('filters').at(i);
    // Istio sends metadata_exchange inside a TypedStruct (its proto is not Envoy's).
    const resolved = resolveTypedConfig(o?.typed_config);
    if (isNetworkFilterType(resolved.typeName)) {
      if (terminal) fi.add(`${fname} comes after the terminal filter`);
      network.push(
        compileNetworkFilter(fname, resolved.typeName!, resolved.config, fi.at('typed_config')),
      );
      return;
    }
    if (t === HCM_TYPE || t === TCP_PROXY_TYPE) {
      if (i !== filters.length - 1) fi.add(`${fname} is a terminal filter and must be last`);
      const cfg = o!.typed_config as Obj;
      if (t === HCM_TYPE) {
        const hcm = compileHcm(cfg, fi.at('typed_config'));
        if (hcm) terminal = { kind: 'http', config: hcm };
      } else {
        terminal = { kind: 'tcp', config: compileTcpProxy(cfg, fi.at('typed_config')) };
      }
      return;
    }
    fi.add(`network filter ${fname} (${t ?? 'no typed_config'}) is not supported by this proxy`);
  });
  if (!terminal) {
    if (filters.length === 0)
      issues.add('needs a terminal filter (http_connection_manager or tcp_proxy)', 'filters');
    return undefined;
  }
  return { name: asString(c.name) || fallbackName, match, network, terminal, tls };
}

function trafficDirection(v: unknown): TrafficDirection {
  return v === 'INBOUND' ? 'inbound' : v === 'OUTBOUND' ? 'outbound' : '';
}
