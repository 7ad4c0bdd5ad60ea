// The security policies that apply to one workload, as Istio selects them
// (AuthorizationPolicies.ListAuthorizationPolicies, PushContext.GetJwtPoliciesForWorkload):
// those in the mesh's root namespace and those in the workload's own namespace whose
// selector matches its labels (no selector: every workload there). Policies attached
// through targetRef(s) (Gateway API) are not for sidecars or selector-based gateways,
// and Petrel does not build them (api/istio/unsupported.ts). Petrel's LocalRateLimit
// selects the same way.
import type { ConfigSnapshot } from '../config/types.ts';
import type { AuthorizationPolicySpec } from '../../api/istio/security/authorization-policy.ts';
import type { RequestAuthenticationSpec } from '../../api/istio/security/request-authentication.ts';
import type { LocalRateLimitSpec } from '../../api/petrel/local-rate-limit.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import type { IstioConfig } from './types.ts';
import { sortedByCreation } from './config-order.ts';
import { EMPTY, frozenCopy } from './freeze.ts';
import { labelsKey, selectorMatches } from './labels.ts';

export type AuthorizationPolicy = IstioConfig<AuthorizationPolicySpec>;
export type RequestAuthentication = IstioConfig<RequestAuthenticationSpec>;
export type LocalRateLimit = IstioConfig<LocalRateLimitSpec>;

/** Everything security-related that applies to one workload, oldest first within each list. */
export interface WorkloadPolicies {
  /** AuthorizationPolicies by action (no action means ALLOW, as in Istio). */
  readonly allow: readonly AuthorizationPolicy[];
  readonly deny: readonly AuthorizationPolicy[];
  readonly audit: readonly AuthorizationPolicy[];
  readonly custom: readonly AuthorizationPolicy[];
  readonly requestAuthentications: readonly RequestAuthentication[];
  readonly localRateLimits: readonly LocalRateLimit[];
}

export const NO_POLICIES: WorkloadPolicies = Object.freeze({
  allow: EMPTY,
  deny: EMPTY,
  audit: EMPTY,
  custom: EMPTY,
  requestAuthentications: EMPTY,
  localRateLimits: EMPTY,
});

interface Selectable {
  metadata: { namespace?: string };
  spec: {
    selector?: { matchLabels?: Record<string, string> };
    targetRef?: unknown;
    targetRefs?: unknown[];
  };
}

/** Per namespace, the objects of one kind that select by labels. */
function byNamespace<T extends Selectable & ConfigObject>(
  objs: readonly ConfigObject[],
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const obj of sortedByCreation(objs)) {
    if (!obj.spec) continue;
    const spec = obj.spec as Selectable['spec'];
    if (spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0) continue;
    const ns = obj.metadata.namespace ?? 'default';
    let list = out.get(ns);
    if (!list) out.set(ns, (list = []));
    list.push(frozenCopy(obj) as T);
  }
  return out;
}

export class SecurityPolicyIndex {
  readonly #rootNamespace: string;
  readonly #authz: Map<string, AuthorizationPolicy[]>;
  readonly #authn: Map<string, RequestAuthentication[]>;
  readonly #rateLimits: Map<string, LocalRateLimit[]>;
  /** Workloads of one deployment share namespace and labels: cache by both. */
  readonly #cache = new Map<string, WorkloadPolicies>();

  constructor(snapshot: ConfigSnapshot, rootNamespace: string) {
    this.#rootNamespace = rootNamespace;
    this.#authz = byNamespace(snapshot.list('AuthorizationPolicy'));
    this.#authn = byNamespace(snapshot.list('RequestAuthentication'));
    this.#rateLimits = byNamespace(snapshot.list('LocalRateLimit'));
  }

  forWorkload(namespace: string, labels: Readonly<Record<string, string>>): WorkloadPolicies {
    const key = `${namespace}|${labelsKey(labels)}`;
    let out = this.#cache.get(key);
    if (out) return out;
    const authz = this.#select(this.#authz, namespace, labels);
    const authn = this.#select(this.#authn, namespace, labels);
    const rateLimits = this.#select(this.#rateLimits, namespace, labels);
    if (authz.length === 0 && authn.length === 0 && rateLimits.length === 0) out = NO_POLICIES;
    else {
      const action = (p: AuthorizationPolicy) => p.spec.action ?? 'ALLOW';
      out = Object.freeze({
        allow: Object.freeze(authz.filter((p) => action(p) === 'ALLOW')),
        deny: Object.freeze(authz.filter((p) => action(p) === 'DENY')),
        audit: Object.freeze(authz.filter((p) => action(p) === 'AUDIT')),
        custom: Object.freeze(authz.filter((p) => action(p) === 'CUSTOM')),
        requestAuthentications: Object.freeze(authn),
        localRateLimits: Object.freeze(rateLimits),
      });
    }
    this.#cache.set(key, out);
    return out;
  }

  #select<T extends Selectable & ConfigObject>(
    index: Map<string, T[]>,
    namespace: string,
    labels: Readonly<Record<string, string>>,
  ): T[] {
    const namespaces =
      namespace === this.#rootNamespace ? [namespace] : [this.#rootNamespace, namespace];
    const picked: T[] = [];
    for (const ns of namespaces)
      for (const obj of index.get(ns) ?? [])
        if (selectorMatches(obj.spec.selector?.matchLabels, labels)) picked.push(obj);
    return sortedByCreation(picked);
  }
}
