// The mTLS mode PeerAuthentication gives a workload port, with Istio's
// precedence: a policy selecting the workload (oldest first, where port-level
// settings apply), then the namespace's policy without selector, then the
// mesh-wide one in the root namespace; UNSET inherits from the next level and
// nothing at all means PERMISSIVE. PeerAuthentication's schema is still loose
// in Petrel, so fields are read defensively: a malformed field counts as unset.
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import { sortedByCreation } from '../model/config-order.ts';
import { selectorMatches } from '../model/labels.ts';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

interface Policy {
  name: string;
  namespace: string;
  selector?: Record<string, string>;
  mode?: MtlsMode;
  ports: Map<number, MtlsMode>;
}

export interface EffectiveMtls {
  mode: MtlsMode;
  /** `namespace/name` of the policy that decided, absent for the built-in PERMISSIVE. */
  policy?: string;
  /** Whether a port-level setting decided. */
  portLevel: boolean;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function modeOf(v: unknown): MtlsMode | undefined {
  const mode = record(v)?.mode;
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE' ? mode : undefined;
}

function parse(obj: ConfigObject): Policy {
  const spec = record(obj.spec) ?? {};
  const matchLabels = record(record(spec.selector)?.matchLabels);
  const selector =
    matchLabels && Object.keys(matchLabels).length > 0
      ? (Object.fromEntries(Object.entries(matchLabels).map(([k, v]) => [k, String(v)])) as Record<
          string,
          string
        >)
      : undefined;
  const ports = new Map<number, MtlsMode>();
  for (const [port, setting] of Object.entries(record(spec.portLevelMtls) ?? {})) {
    const mode = modeOf(setting);
    if (mode && /^\d+$/.test(port)) ports.set(Number(port), mode);
  }
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? 'default',
    selector,
    mode: modeOf(spec.mtls),
    ports,
  };
}

export class PeerAuthentications {
  readonly #policies: Policy[];
  readonly #rootNamespace: string;

  constructor(snapshot: ConfigSnapshot, rootNamespace: string) {
    this.#policies = sortedByCreation(snapshot.list('PeerAuthentication')).map(parse);
    this.#rootNamespace = rootNamespace;
  }

  get empty(): boolean {
    return this.#policies.length === 0;
  }

  /** The mode for `port` of a workload in `namespace` with `labels`. */
  modeFor(
    namespace: string,
    labels: Readonly<Record<string, string>>,
    port: number,
  ): EffectiveMtls {
    const inNs = this.#policies.filter((p) => p.namespace === namespace);
    const workload = inNs.find((p) => p.selector && selectorMatches(p.selector, labels));
    const namespaceWide = inNs.find((p) => !p.selector);
    const meshWide = this.#policies.find((p) => p.namespace === this.#rootNamespace && !p.selector);
    // Istio honours portLevelMtls only on policies with a workload selector.
    const portMode = workload?.ports.get(port);
    if (workload && portMode) return { mode: portMode, policy: key(workload), portLevel: true };
    for (const p of [workload, namespaceWide, meshWide]) {
      if (p?.mode) return { mode: p.mode, policy: key(p), portLevel: false };
    }
    return { mode: 'PERMISSIVE', portLevel: false };
  }
}

function key(p: Policy): string {
  return `${p.namespace}/${p.name}`;
}
