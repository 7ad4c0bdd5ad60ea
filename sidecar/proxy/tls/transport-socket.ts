// Transport sockets: a listener filter chain's (raw_buffer or DownstreamTlsContext)
// and a cluster's (transport_socket plus transport_socket_matches). Istio's auto
// mTLS is made of the latter: a `tlsMode-istio` match on endpoint metadata
// {tlsMode: istio} with ISTIO_MUTUAL, and a catch-all `tlsMode-disabled` in
// plaintext, so workloads with a sidecar get mTLS and the others plaintext.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto#config-cluster-v3-cluster-transportsocketmatch
import type { Issues } from '../config/issues.ts';
import { anyTypeName, asArray, asObj, asString, isObj, type Obj } from '../config/values.ts';
import {
  compileDownstreamTls,
  compileUpstreamTls,
  DOWNSTREAM_TLS_CONTEXT,
  RAW_BUFFER,
  UPSTREAM_TLS_CONTEXT,
  type DownstreamTlsSpec,
  type UpstreamTlsSpec,
} from './context-spec.ts';
import type { SecretStore } from './secret-store.ts';
import { UpstreamTls } from './upstream.ts';

/** Endpoint metadata filter that transport_socket_matches compare against. */
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

export interface TransportMatch {
  name: string;
  match: Obj;
  tls: UpstreamTlsSpec | undefined;
}

export interface UpstreamTransports {
  /** The cluster's transport_socket (undefined: plaintext). */
  fallback: UpstreamTlsSpec | undefined;
  matches: TransportMatch[];
}

/** A filter chain's transport socket: TLS termination, or undefined for plaintext. */
export function compileDownstreamTransport(
  v: unknown,
  issues: Issues,
): DownstreamTlsSpec | undefined {
  const ts = asObj(v);
  if (!ts) return undefined;
  const t = anyTypeName(ts.typed_config);
  if (t === undefined || t === RAW_BUFFER) return undefined;
  if (t !== DOWNSTREAM_TLS_CONTEXT) {
    issues.add(`transport socket ${t} is not supported (raw_buffer or tls)`, 'typed_config');
    return undefined;
  }
  return compileDownstreamTls(ts.typed_config as Obj, issues.at('typed_config'));
}

function compileUpstreamTransport(v: unknown, issues: Issues): UpstreamTlsSpec | undefined {
  const ts = asObj(v);
  if (!ts) return undefined;
  const t = anyTypeName(ts.typed_config);
  if (t === undefined || t === RAW_BUFFER) return undefined;
  if (t !== UPSTREAM_TLS_CONTEXT) {
    issues.add(`transport socket ${t} is not supported (raw_buffer or tls)`, 'typed_config');
    return undefined;
  }
  return compileUpstreamTls(ts.typed_config as Obj, issues.at('typed_config'));
}

export function compileUpstreamTransports(c: Obj, issues: Issues): UpstreamTransports {
  if (c.transport_socket_matcher !== undefined)
    issues.add(
      'transport_socket_matcher is not supported; use transport_socket_matches',
      'transport_socket_matcher',
    );
  const matches: TransportMatch[] = [];
  asArray(c.transport_socket_matches).forEach((m, i) => {
    const at = issues.at('transport_socket_matches').at(i);
    const o = asObj(m) ?? {};
    matches.push({
      name: asString(o.name) ?? `${i}`,
      match: asObj(o.match) ?? {},
      tls: compileUpstreamTransport(o.transport_socket, at.at('transport_socket')),
    });
  });
  return {
    fallback: compileUpstreamTransport(c.transport_socket, issues.at('transport_socket')),
    matches,
  };
}

function metadataMatches(
  match: Obj,
  endpointMetadata: Record<string, unknown> | undefined,
): boolean {
  const keys = Object.keys(match);
  if (keys.length === 0) return true;
  const fm = asObj(endpointMetadata?.filter_metadata);
  const values = asObj(fm?.[TRANSPORT_SOCKET_MATCH]);
  if (!values) return false;
  return keys.every((k) => JSON.stringify(values[k]) === JSON.stringify(match[k]));
}

/** Picks each endpoint's transport; one UpstreamTls per distinct context, shared by hosts. */
export class TransportSelector {
  readonly #fallback: UpstreamTls | undefined;
  readonly #matches: { match: Obj; transport: UpstreamTls | undefined }[];

  constructor(t: UpstreamTransports, store: SecretStore) {
    const byKey = new Map<string, UpstreamTls>();
    const make = (spec: UpstreamTlsSpec | undefined): UpstreamTls | undefined => {
      if (!spec) return undefined;
      let u = byKey.get(spec.key);
      if (!u) byKey.set(spec.key, (u = new UpstreamTls(spec, store)));
      return u;
    };
    this.#fallback = make(t.fallback);
    this.#matches = t.matches.map((m) => ({ match: m.match, transport: make(m.tls) }));
  }

  /**
   * The first transport_socket_matches entry whose match the endpoint's metadata
   * satisfies, else the cluster's. An entry whose TLS can never work here (no
   * workload identity) is passed over, so Istio's tlsMode-istio gives way to the
   * plaintext tlsMode-disabled: a proxy without a CA runs plaintext.
   */
  forEndpoint(metadata: Record<string, unknown> | undefined): UpstreamTls | undefined {
    for (const m of this.#matches) {
      if (!metadataMatches(m.match, metadata)) continue;
      if (m.transport && !m.transport.usable) continue;
      return m.transport;
    }
    return this.#fallback;
  }

  get usesTls(): boolean {
    return this.#fallback !== undefined || this.#matches.some((m) => m.transport !== undefined);
  }
}

export function hasTransportConfig(c: Obj): boolean {
  return isObj(c.transport_socket) || asArray(c.transport_socket_matches).length > 0;
}
