// envoy.filters.network.rbac: admits or refuses a whole downstream connection by the
// same RBAC rules as the HTTP filter (rbac-engine.ts), read on the connection's facts
// (peer URI SAN, SNI, source and destination addresses and ports). A refused
// connection is closed and nothing is connected upstream.
//
// Envoy decides on the first bytes (enforcement_type ONE_TIME_ON_FIRST_BYTE) because
// a filter before RBAC may still add dynamic metadata; Petrel runs no such filter, so
// every input is known at accept time and the decision is taken then — before
// tcp_proxy would open an upstream connection. CONTINUOUS re-checks the same facts
// and so decides the same; it is accepted.
//
// Stats as Envoy names them: `<stat_prefix>rbac.allowed|denied`, and for shadow
// rules `<stat_prefix>rbac.<shadow_rules_stat_prefix>shadow_allowed|shadow_denied`.
import type { Issues } from '../config/issues.ts';
import { asString, durationMs, type Obj } from '../config/values.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import type { FilterStats } from './filter-stats.ts';
import { compileRbac, decide, deniedDetails, type RbacConfig } from './rbac.ts';

export const NETWORK_RBAC_TYPE = 'envoy.extensions.filters.network.rbac.v3.RBAC';
/** The dynamic metadata namespace Envoy's network RBAC filter writes. */
const METADATA_NAMESPACE = 'envoy.filters.network.rbac';
const ENFORCEMENT_TYPES = new Set(['ONE_TIME_ON_FIRST_BYTE', 'CONTINUOUS']);

export interface NetworkRbacConfig {
  rbac: RbacConfig;
  /** Envoy's stats scope of the filter: `<stat_prefix>rbac.` */
  statScope: string;
  /** delay_deny: how long a refused connection is held before it is closed. */
  delayDenyMs: number;
}

export function compileNetworkRbac(c: Obj, issues: Issues): NetworkRbacConfig {
  const statPrefix = asString(c.stat_prefix) ?? '';
  // Required by the proto's validation rules (min_len 1).
  if (statPrefix === '') issues.add('stat_prefix is required', 'stat_prefix');
  const enforcement = asString(c.enforcement_type) ?? 'ONE_TIME_ON_FIRST_BYTE';
  if (!ENFORCEMENT_TYPES.has(enforcement))
    issues.add(`enforcement_type ${enforcement} is not supported`, 'enforcement_type');
  return {
    rbac: compileRbac(c, issues),
    statScope: `${statPrefix}rbac.`,
    delayDenyMs: durationMs(c.delay_deny, issues, 'delay_deny') ?? 0,
  };
}

/** The verdict on one connection: admitted, or refused with Envoy's termination details (and response flag). */
export type ConnectionVerdict =
  { admitted: true } | { admitted: false; details: string; flag?: string };

export class NetworkRbacFilter {
  readonly name: string;
  readonly cfg: NetworkRbacConfig;
  private readonly stats: FilterStats;

  constructor(name: string, cfg: NetworkRbacConfig, stats: FilterStats) {
    this.name = name;
    this.cfg = cfg;
    this.stats = stats;
  }

  onConnection(facts: ConnectionFacts): ConnectionVerdict {
    const cfg = this.cfg;
    const d = decide(cfg.rbac, facts, METADATA_NAMESPACE);
    const scope = cfg.statScope;
    if (d.shadowAllowed !== undefined)
      this.stats.inc(
        `${scope}${cfg.rbac.shadowPrefix}${d.shadowAllowed ? 'shadow_allowed' : 'shadow_denied'}`,
      );
    if (!cfg.rbac.rules) return { admitted: true };
    if (cfg.rbac.rules.action === 'LOG') {
      this.stats.inc(`${scope}${d.policy !== undefined ? 'logged' : 'not_logged'}`);
      return { admitted: true };
    }
    this.stats.inc(`${scope}${d.allowed ? 'allowed' : 'denied'}`);
    return d.allowed ? { admitted: true } : { admitted: false, details: deniedDetails(d.policy) };
  }
}
