// envoy.filters.network.ext_authz: asks an external authorizer (gRPC Authorization/
// Check, peers only: addresses and mTLS identities) whether a new connection may
// proceed. Denied — or an error without failure_mode_allow — closes it before the
// terminal filter sees it. Istio's CUSTOM policies on TCP chains put it after a
// network RBAC filter whose shadow rules mark the connections to check
// (filter_enabled_metadata on envoy.filters.network.rbac).
//
// Envoy sends the check on the first bytes; as with network RBAC (network-rbac.ts)
// every input is known once the connection (and its TLS handshake) is up, so the
// check is sent then, and nothing is connected upstream until it allows.
//
// Stats as Envoy names them, `ext_authz.<stat_prefix>.total|ok|denied|error|
// failure_mode_allowed|disabled|cx_closed`; Istio's stat_prefix `tcp.` ends in a dot
// that Envoy's own joining would double, so one trailing dot is dropped.
import type { Issues } from '../config/issues.ts';
import { asString, type Obj } from '../config/values.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { connectionCheckRequest } from './ext-authz-check.ts';
import { compileGrpcService, reportUnknownFields, type GrpcTarget } from './ext-authz-common.ts';
import { callGrpcService } from './ext-authz-grpc.ts';
import type { AuthzResult } from './ext-authz-result.ts';
import type { FilterStats } from './filter-stats.ts';
import { compileMetadataMatcher, type MetadataPredicate } from './metadata-matcher.ts';
import type { ConnectionVerdict } from './network-rbac.ts';
import { dynamicMetadata, setDynamicMetadata } from './request-facts.ts';

export const NETWORK_EXT_AUTHZ_TYPE = 'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';
const METADATA_NAMESPACE = 'envoy.filters.network.ext_authz';

export interface NetworkExtAuthzConfig {
  /** Undefined only in a config with issues (never applied); every check is then an error. */
  grpc: GrpcTarget | undefined;
  failureModeAllow: boolean;
  enabledMetadata: MetadataPredicate | undefined;
  includePeerCertificate: boolean;
  includeTlsSession: boolean;
  /** `ext_authz.<stat_prefix>.` */
  statScope: string;
}

export function compileNetworkExtAuthz(c: Obj, issues: Issues): NetworkExtAuthzConfig {
  reportUnknownFields(
    c,
    [
      'stat_prefix',
      'grpc_service',
      'failure_mode_allow',
      'include_peer_certificate',
      'transport_api_version',
      'filter_enabled_metadata',
      'include_tls_session',
    ],
    issues,
    { bootstrap_metadata_labels_key: 'destination labels are not sent' },
  );
  const statPrefix = asString(c.stat_prefix) ?? '';
  // Required by the proto's validation rules (min_len 1).
  if (statPrefix === '') issues.add('stat_prefix is required', 'stat_prefix');
  const api = asString(c.transport_api_version) ?? 'AUTO';
  if (api !== 'AUTO' && api !== 'V3')
    issues.add(`transport_api_version ${api} is not supported (V3 only)`, 'transport_api_version');
  if (c.grpc_service === undefined) issues.add('grpc_service is required', 'grpc_service');
  return {
    grpc: compileGrpcService(c.grpc_service, issues.at('grpc_service')),
    failureModeAllow: c.failure_mode_allow === true,
    enabledMetadata:
      c.filter_enabled_metadata !== undefined
        ? compileMetadataMatcher(c.filter_enabled_metadata, issues.at('filter_enabled_metadata'))
        : undefined,
    includePeerCertificate: c.include_peer_certificate === true,
    includeTlsSession: c.include_tls_session === true,
    statScope: `ext_authz.${statPrefix.endsWith('.') ? statPrefix.slice(0, -1) : statPrefix}.`,
  };
}

const ADMITTED: ConnectionVerdict = { admitted: true };

export class NetworkExtAuthzFilter {
  readonly name: string;
  readonly cfg: NetworkExtAuthzConfig;
  private readonly clusters: ClusterManager;
  private readonly stats: FilterStats;

  constructor(
    name: string,
    cfg: NetworkExtAuthzConfig,
    clusters: ClusterManager,
    stats: FilterStats,
  ) {
    this.name = name;
    this.cfg = cfg;
    this.clusters = clusters;
    this.stats = stats;
  }

  /**
   * Decides on a connection: synchronously (the verdict) when the filter is not
   * enabled for it, else through `done` later (a cancel function is returned).
   */
  onConnection(
    facts: ConnectionFacts,
    done: (v: ConnectionVerdict) => void,
  ): ConnectionVerdict | (() => void) {
    const cfg = this.cfg;
    if (cfg.enabledMetadata && !cfg.enabledMetadata(dynamicMetadata(facts))) {
      this.stats.inc(`${cfg.statScope}disabled`);
      return ADMITTED;
    }
    this.stats.inc(`${cfg.statScope}total`);
    const finish = (r: AuthzResult): void => done(this.verdict(facts, r));
    const grpc = cfg.grpc;
    const cluster = grpc && this.clusters.get(grpc.cluster);
    if (!grpc || !cluster) {
      const reason = `cluster ${grpc?.cluster ?? '(none)'} not found`;
      queueMicrotask(() => finish({ status: 'error', reason }));
      return () => {};
    }
    return callGrpcService(cluster, grpc, connectionCheckRequest(facts, cfg), finish);
  }

  private verdict(facts: ConnectionFacts, r: AuthzResult): ConnectionVerdict {
    const cfg = this.cfg;
    const scope = cfg.statScope;
    this.stats.inc(`${scope}${r.status}`);
    if (r.status === 'ok' || (r.status === 'error' && cfg.failureModeAllow)) {
      if (r.status === 'error') this.stats.inc(`${scope}failure_mode_allowed`);
      else if (r.metadata && Object.keys(r.metadata).length > 0)
        setDynamicMetadata(facts, METADATA_NAMESPACE, r.metadata);
      return ADMITTED;
    }
    this.stats.inc(`${scope}cx_closed`);
    return {
      admitted: false,
      details: r.status === 'denied' ? 'ext_authz_denied' : 'ext_authz_error',
      flag: 'UAEX',
    };
  }
}
