// PeerAuthentication as Istio composes it (ComposePeerAuthentication): the mesh
// policy (root namespace, no selector), the namespace policy (no selector) and
// the workload policy (selector in the workload's namespace), the oldest of each
// kind winning; UNSET inherits from the level above, and the mesh default is
// PERMISSIVE. A workload policy's portLevelMtls overrides per workload port.
import type { ConfigSnapshot } from '../config/types.ts';
import type {
  MtlsMode,
  PeerAuthenticationSpec,
} from '../../api/istio/security/peer-authentication.ts';
import { sortedByCreation } from './config-order.ts';
import { hasSelector, labelsKey, selectorMatches } from './labels.ts';
import type { IstioConfig } from './types.ts';

export type PeerAuthentication = IstioConfig<PeerAuthenticationSpec>;

/** What a workload accepts inbound: never UNSET once composed. */
export type EffectiveMode = Exclude<MtlsMode, 'UNSET'>;

export interface EffectiveMtls {
  mode: EffectiveMode;
  /** portLevelMtls of the workload policy, by workload port. */
  perPort: ReadonlyMap<number, EffectiveMode>;
}

const DEFAULT_MODE: EffectiveMode = 'PERMISSIVE';

function modeOf(p: PeerAuthentication | undefined): EffectiveMode | undefined {
  const m = p?.spec.mtls?.mode;
  return m === undefined || m === 'UNSET' ? undefined : m;
}

export class PeerAuthenticationIndex {
  readonly #rootNamespace: string;
  /** Per namespace, oldest first: the policies without a selector and those with one. */
  readonly #wide = new Map<string, PeerAuthentication>();
  readonly #selected = new Map<string, PeerAuthentication[]>();
  readonly #cache = new Map<string, EffectiveMtls>();

  constructor(snapshot: ConfigSnapshot, rootNamespace: string) {
    this.#rootNamespace = rootNamespace;
    for (const obj of sortedByCreation(snapshot.list('PeerAuthentication'))) {
      if (!obj.spec) continue;
      const p = obj as PeerAuthentication;
      const ns = p.metadata.namespace ?? 'default';
      if (hasSelector(p.spec.selector?.matchLabels)) {
        const list = this.#selected.get(ns) ?? [];
        list.push(p);
        this.#selected.set(ns, list);
      } else if (!this.#wide.has(ns)) this.#wide.set(ns, p); // the oldest one wins
    }
  }

  /** The mode a namespace's workloads get without workload policies (mesh, then namespace). */
  namespaceMode(namespace: string): EffectiveMode {
    return (
      modeOf(this.#wide.get(namespace)) ??
      modeOf(this.#wide.get(this.#rootNamespace)) ??
      DEFAULT_MODE
    );
  }

  /** The composed policy of one workload. */
  forWorkload(namespace: string, labels: Readonly<Record<string, string>>): EffectiveMtls {
    const key = `${namespace}|${labelsKey(labels)}`;
    let out = this.#cache.get(key);
    if (out) return out;
    const base = this.namespaceMode(namespace);
    const workload = this.#selected
      .get(namespace)
      ?.find((p) => selectorMatches(p.spec.selector?.matchLabels, labels));
    const mode = modeOf(workload) ?? base;
    const perPort = new Map<number, EffectiveMode>();
    for (const [port, m] of Object.entries(workload?.spec.portLevelMtls ?? {}))
      perPort.set(Number(port), m.mode === undefined || m.mode === 'UNSET' ? mode : m.mode);
    out = Object.freeze({ mode, perPort });
    this.#cache.set(key, out);
    return out;
  }
}

/** The mode for one workload port. */
export function modeForPort(m: EffectiveMtls, port: number): EffectiveMode {
  return m.perPort.get(port) ?? m.mode;
}
