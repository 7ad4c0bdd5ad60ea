// What the xDS client knows, per resource type, in a form the admin server,
// readiness and `petrel proxy-status` read: versions, nonces, the last NACK and
// every resource held, with its version and when it last changed.
import type { EnvoyResource } from '../types.ts';
import type { NodeIdentity } from './node-identity.ts';

export type XdsShortName = 'cds' | 'eds' | 'lds' | 'rds' | 'sds';
export type XdsMode = 'sotw' | 'delta';
/** Envoy's server states, as /ready and /server_info print them. */
export type InitPhase = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE';

export interface ResourceEntry {
  name: string;
  resource: EnvoyResource;
  /** SotW: version_info of the response that last changed it; delta: the resource's own version. */
  version: string;
  lastUpdated: Date;
}

export interface NackRecord {
  code: 'PETREL_XDS_NACK';
  nonce: string;
  /** The version_info (SotW) or system_version_info (delta) of the rejected response. */
  version: string;
  /** The error_detail message sent back. */
  message: string;
  at: Date;
  /** Names in the rejected response, with the resource when it decoded. */
  failed: ReadonlyMap<string, EnvoyResource | undefined>;
}

export interface XdsTypeStatus {
  typeUrl: string;
  short: XdsShortName;
  /** Whether the client has subscribed to this type at all yet. */
  requested: boolean;
  wildcard: boolean;
  /** Subscribed names (non-wildcard types), sorted. */
  names: readonly string[];
  /** Last accepted version_info (SotW) / system_version_info (delta). */
  ackedVersion: string;
  /** Nonce of the last response on the current stream. */
  nonce: string;
  lastNack?: NackRecord;
  resources: ReadonlyMap<string, ResourceEntry>;
  updates: { attempt: number; success: number; rejected: number };
  lastUpdated?: Date;
}

export interface XdsClientStatus {
  node: NodeIdentity;
  address: string;
  mode: XdsMode;
  connected: boolean;
  phase: InitPhase;
  /** EDS names new clusters are waiting for. */
  warmingClusters: readonly string[];
  /** RDS names new listeners are waiting for. */
  warmingRoutes: readonly string[];
  /** In push order: CDS, EDS, LDS, RDS, SDS. */
  types: readonly XdsTypeStatus[];
}
