// Gateways selected by a router proxy's labels. Istio's PILOT_SCOPE_GATEWAY_TO_NAMESPACE
// defaults to false: a Gateway in any namespace may select gateway workloads anywhere.
import type { ConfigSnapshot } from '../config/types.ts';
import type { Proxy } from './proxy.ts';
import type { Gateway } from './types.ts';
import { sortedByCreation } from './config-order.ts';
import { EMPTY, frozenCopy } from './freeze.ts';
import { labelsKey, selectorMatches } from './labels.ts';

export class GatewayIndex {
  readonly #all: Gateway[] = [];
  readonly #byName = new Map<string, Gateway>();
  /** Router proxies of one deployment share labels: cache by label set. */
  readonly #byLabels = new Map<string, readonly Gateway[]>();
  readonly #scopeToNamespace: boolean;

  constructor(snapshot: ConfigSnapshot, scopeToNamespace = false) {
    this.#scopeToNamespace = scopeToNamespace;
    for (const obj of sortedByCreation(snapshot.list('Gateway'))) {
      if (!obj.spec) continue;
      const gw = frozenCopy(obj) as Gateway;
      this.#all.push(gw);
      this.#byName.set(`${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`, gw);
    }
  }

  /** A Gateway by `namespace/name`. */
  byName(name: string): Gateway | undefined {
    return this.#byName.get(name);
  }

  /** Gateways whose selector matches a router proxy (an empty selector matches every gateway workload), oldest first. */
  forProxy(proxy: Proxy): readonly Gateway[] {
    if (proxy.type !== 'router') return EMPTY;
    const key = `${this.#scopeToNamespace ? proxy.namespace : ''}|${labelsKey(proxy.labels)}`;
    let out = this.#byLabels.get(key);
    if (!out) {
      const list = this.#all.filter(
        (gw) =>
          (!this.#scopeToNamespace || gw.metadata.namespace === proxy.namespace) &&
          selectorMatches(gw.spec.selector, proxy.labels),
      );
      this.#byLabels.set(key, (out = Object.freeze(list)));
    }
    return out;
  }
}
