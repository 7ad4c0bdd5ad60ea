// DestinationRules as Istio looks them up (PushContext.destinationRule): the
// proxy's namespace first, then the service's namespace, then the root
// namespace; within one namespace the exact host, else the most specific
// wildcard; rules for one host in one namespace merged (oldest wins conflicts,
// subsets combined).
import type { ConfigSnapshot } from '../config/types.ts';
import type { DestinationRuleSpec } from '../../api/istio/index.ts';
import type { DestinationRule } from './types.ts';
import type { ResolveHost } from './virtual-service-index.ts';
import { sortedByCreation } from './config-order.ts';
import { deepFreeze } from './freeze.ts';
import { bySpecificity, hostCovers, isWildcardHost } from './hosts.ts';
import { hasSelector, selectorMatches } from './labels.ts';
import { isVisibleFrom, normalizeExportTo } from './visibility.ts';

interface Entry {
  host: string;
  rule: DestinationRule;
  exportTo: readonly string[];
  selector?: Record<string, string>;
}

class NamespaceRules {
  readonly exact = new Map<string, Entry[]>();
  wildcards: Entry[] = [];

  add(e: Entry): void {
    if (isWildcardHost(e.host)) this.wildcards.push(e);
    else {
      const list = this.exact.get(e.host);
      if (list) list.push(e);
      else this.exact.set(e.host, [e]);
    }
  }

  /** Entries for the most specific host that covers `hostname` and that pass `accept`. */
  find(hostname: string, accept: (e: Entry) => boolean): Entry | undefined {
    for (const e of this.exact.get(hostname) ?? []) if (accept(e)) return e;
    // wildcards are sorted most specific first once the index is built.
    for (const e of this.wildcards) if (hostCovers(e.host, hostname) && accept(e)) return e;
    return undefined;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Istio's mergeDestinationRule: the older rule's traffic policy wins, subsets the older lacks are appended. */
function mergeSpecs(into: DestinationRuleSpec, from: DestinationRuleSpec): DestinationRuleSpec {
  const names = new Set((into.subsets ?? []).map((s) => s.name));
  const extra = (from.subsets ?? []).filter((s) => !names.has(s.name));
  return {
    ...into,
    trafficPolicy: into.trafficPolicy ?? from.trafficPolicy,
    subsets: extra.length > 0 ? [...(into.subsets ?? []), ...extra] : into.subsets,
  };
}

export class DestinationRuleIndex {
  readonly #byNamespace = new Map<string, NamespaceRules>();
  readonly #rootNamespace: string;
  /** proxy namespace → hostname → rule (null: none), for lookups without proxy labels. */
  readonly #cache = new Map<string, Map<string, DestinationRule | null>>();

  constructor(
    snapshot: ConfigSnapshot,
    resolve: ResolveHost,
    defaultExportTo: readonly string[],
    rootNamespace: string,
  ) {
    this.#rootNamespace = rootNamespace;
    const pending = new Map<string, Entry[]>(); // namespace → entries being merged
    for (const obj of sortedByCreation(snapshot.list('DestinationRule'))) {
      if (!obj.spec) continue;
      const namespace = obj.metadata.namespace ?? 'default';
      const spec = obj.spec as DestinationRuleSpec;
      const host = resolve(spec.host, namespace);
      const exportTo = normalizeExportTo(spec.exportTo, namespace, defaultExportTo);
      if (exportTo[0] === '~') continue;
      const selector = hasSelector(spec.workloadSelector?.labels)
        ? spec.workloadSelector!.labels
        : undefined;
      let list = pending.get(namespace);
      if (!list) pending.set(namespace, (list = []));
      // Rules with a selector or a different exportTo are never merged (Istio keeps them apart).
      const target = selector
        ? undefined
        : list.find((e) => e.host === host && !e.selector && sameSet(e.exportTo, exportTo));
      if (target) {
        target.rule = { ...target.rule, spec: mergeSpecs(target.rule.spec, spec) };
      } else {
        const rule = {
          ...structuredClone({ ...obj, spec: undefined }),
          spec: { ...structuredClone(spec), host },
        } as DestinationRule;
        list.push({ host, rule, exportTo, selector });
      }
    }
    for (const [namespace, entries] of pending) {
      const rules = new NamespaceRules();
      for (const e of entries) {
        e.rule = deepFreeze(structuredClone(e.rule));
        rules.add(e);
      }
      rules.wildcards.sort((a, b) => bySpecificity(a.host, b.host));
      this.#byNamespace.set(namespace, rules);
    }
  }

  /**
   * The rule for `hostname` seen by a proxy in `proxyNamespace`. `serviceNamespace`
   * is the namespace of the service the host names (when there is one). Rules
   * with a workloadSelector apply only when `proxyLabels` are given and match.
   */
  lookup(
    proxyNamespace: string,
    hostname: string,
    serviceNamespace: string | undefined,
    proxyLabels?: Record<string, string>,
  ): DestinationRule | undefined {
    if (proxyLabels) return this.#find(proxyNamespace, hostname, serviceNamespace, proxyLabels);
    let byHost = this.#cache.get(proxyNamespace);
    if (!byHost) this.#cache.set(proxyNamespace, (byHost = new Map()));
    let rule = byHost.get(hostname);
    if (rule === undefined)
      byHost.set(
        hostname,
        (rule = this.#find(proxyNamespace, hostname, serviceNamespace, undefined) ?? null),
      );
    return rule ?? undefined;
  }

  #find(
    proxyNamespace: string,
    hostname: string,
    serviceNamespace: string | undefined,
    proxyLabels: Record<string, string> | undefined,
  ): DestinationRule | undefined {
    const local = this.#byNamespace.get(proxyNamespace);
    if (local) {
      if (proxyLabels) {
        const selected = local.find(
          hostname,
          (e) => !!e.selector && selectorMatches(e.selector, proxyLabels),
        );
        if (selected) return selected.rule;
      }
      // A namespace always sees its own rules, whatever their exportTo.
      const own = local.find(hostname, (e) => !e.selector);
      if (own) return own.rule;
    }
    const exported = (e: Entry) => !e.selector && isVisibleFrom(e.exportTo, proxyNamespace);
    if (serviceNamespace !== undefined && serviceNamespace !== proxyNamespace) {
      const found = this.#byNamespace.get(serviceNamespace)?.find(hostname, exported);
      if (found) return found.rule;
    }
    if (this.#rootNamespace !== proxyNamespace && this.#rootNamespace !== serviceNamespace) {
      const found = this.#byNamespace.get(this.#rootNamespace)?.find(hostname, exported);
      if (found) return found.rule;
    }
    return undefined;
  }
}
