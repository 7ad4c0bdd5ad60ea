// VirtualServices of one push: short names resolved (hosts, gateways, route
// destinations) the way Istio rewrites them before use, sorted by Istio's
// precedence, bound to the mesh and/or to gateways, and filtered by exportTo.
import type { ConfigSnapshot } from '../config/types.ts';
import type { VirtualServiceSpec } from '../../api/istio/index.ts';
import type { VirtualService } from './types.ts';
import type { EgressScope } from './sidecar-scope.ts';
import { sortedByCreation } from './config-order.ts';
import { deepFreeze, EMPTY } from './freeze.ts';
import { isVisibleFrom, normalizeExportTo } from './visibility.ts';
import { mergeDelegates } from './delegate-merge.ts';

export type ResolveHost = (host: string, namespace: string) => string;

export const MESH_GATEWAY = 'mesh';

/** Istio's resolveGatewayName: `gw` → `ns/gw`, `./gw` → `ns/gw`, legacy `gw.ns.svc.cluster.local` → `ns/gw`. */
export function resolveGatewayName(name: string, namespace: string): string {
  if (name === MESH_GATEWAY) return name;
  const slash = name.indexOf('/');
  if (slash >= 0)
    return name.slice(0, slash) === '.' ? `${namespace}/${name.slice(slash + 1)}` : name;
  const dot = name.indexOf('.');
  if (dot < 0) return `${namespace}/${name}`;
  const rest = name.slice(dot + 1);
  const next = rest.indexOf('.');
  return `${next < 0 ? rest : rest.slice(0, next)}/${name.slice(0, dot)}`;
}

/** A copy of the spec with every host and gateway name fully qualified. */
export function resolveVirtualServiceSpec(
  spec: VirtualServiceSpec,
  namespace: string,
  resolve: ResolveHost,
): VirtualServiceSpec {
  const out = structuredClone(spec);
  const host = (h: string) => resolve(h, namespace);
  const gateways = (g: string[] | undefined) => g?.map((n) => resolveGatewayName(n, namespace));
  if (out.hosts) out.hosts = out.hosts.map(host);
  if (out.gateways) out.gateways = gateways(out.gateways);
  for (const r of out.http ?? []) {
    for (const m of r.match ?? []) if (m.gateways) m.gateways = gateways(m.gateways);
    for (const d of r.route ?? []) d.destination.host = host(d.destination.host);
    if (r.mirror) r.mirror.host = host(r.mirror.host);
    for (const m of r.mirrors ?? []) m.destination.host = host(m.destination.host);
    if (r.delegate && !r.delegate.namespace) r.delegate.namespace = namespace;
  }
  for (const r of [...(out.tcp ?? []), ...(out.tls ?? [])]) {
    for (const m of r.match ?? []) if (m.gateways) m.gateways = gateways(m.gateways);
    for (const d of r.route) d.destination.host = host(d.destination.host);
  }
  return out;
}

/** Every destination host a VirtualService routes or mirrors to. */
export function destinationHosts(spec: VirtualServiceSpec): string[] {
  const out: string[] = [];
  for (const r of spec.http ?? []) {
    for (const d of r.route ?? []) out.push(d.destination.host);
    if (r.mirror) out.push(r.mirror.host);
    for (const m of r.mirrors ?? []) out.push(m.destination.host);
  }
  for (const r of [...(spec.tcp ?? []), ...(spec.tls ?? [])])
    for (const d of r.route) out.push(d.destination.host);
  return out;
}

export class VirtualServiceIndex {
  readonly #exportTo = new Map<VirtualService, readonly string[]>();
  readonly #mesh: VirtualService[] = [];
  readonly #byGateway = new Map<string, VirtualService[]>();
  readonly #byName = new Map<string, VirtualService>();
  readonly #meshFrom = new Map<string, readonly VirtualService[]>();
  readonly #scoped = new Map<string, readonly VirtualService[]>();
  readonly #gatewayFrom = new Map<string, readonly VirtualService[]>();

  constructor(snapshot: ConfigSnapshot, resolve: ResolveHost, defaultExportTo: readonly string[]) {
    const resolved: VirtualService[] = [];
    for (const obj of sortedByCreation(snapshot.list('VirtualService'))) {
      if (!obj.spec) continue;
      const namespace = obj.metadata.namespace ?? 'default';
      const spec = resolveVirtualServiceSpec(obj.spec as VirtualServiceSpec, namespace, resolve);
      const vs = { ...structuredClone({ ...obj, spec: undefined }), spec } as VirtualService;
      this.#exportTo.set(vs, normalizeExportTo(spec.exportTo, namespace, defaultExportTo));
      this.#byName.set(`${namespace}/${vs.metadata.name}`, vs);
      resolved.push(vs);
    }
    for (let vs of resolved) {
      const namespace = vs.metadata.namespace ?? 'default';
      const hosts = vs.spec.hosts;
      // Without hosts a VirtualService is a delegate: only reachable from a root's http[].delegate.
      if (!hosts || hosts.length === 0) continue;
      const merged = mergeDelegates(vs.spec, (ns, name) => {
        const d = this.#byName.get(`${ns}/${name}`);
        return d && !d.spec.hosts?.length && this.isVisible(d, namespace) ? d : undefined;
      });
      if (merged !== vs.spec) {
        const exportTo = this.exportTo(vs);
        vs = { ...vs, spec: merged };
        this.#exportTo.set(vs, exportTo);
        this.#byName.set(`${namespace}/${vs.metadata.name}`, vs);
      }
      const gws =
        vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : [MESH_GATEWAY];
      for (const gw of new Set(gws)) {
        if (gw === MESH_GATEWAY) this.#mesh.push(vs);
        else {
          let list = this.#byGateway.get(gw);
          if (!list) this.#byGateway.set(gw, (list = []));
          list.push(vs);
        }
      }
    }
    for (const vs of this.#byName.values()) deepFreeze(vs);
  }

  /** A VirtualService by `namespace/name` (delegates included), as resolved. */
  byName(namespace: string, name: string): VirtualService | undefined {
    return this.#byName.get(`${namespace}/${name}`);
  }

  exportTo(vs: VirtualService): readonly string[] {
    return this.#exportTo.get(vs) ?? EMPTY;
  }

  isVisible(vs: VirtualService, namespace: string): boolean {
    return isVisibleFrom(this.exportTo(vs), namespace);
  }

  /** Mesh-bound VirtualServices visible from `namespace`, in precedence order. */
  forMesh(namespace: string): readonly VirtualService[] {
    let out = this.#meshFrom.get(namespace);
    if (!out)
      this.#meshFrom.set(
        namespace,
        (out = Object.freeze(this.#mesh.filter((vs) => this.isVisible(vs, namespace)))),
      );
    return out;
  }

  /** Mesh-bound VirtualServices a Sidecar's egress imports (by the VirtualService's namespace and hosts). */
  forScope(namespace: string, scope: EgressScope): readonly VirtualService[] {
    let out = this.#scoped.get(scope.key);
    if (!out) {
      const list = this.forMesh(namespace).filter((vs) =>
        (vs.spec.hosts ?? []).some((h) => scope.admits(vs.metadata.namespace ?? 'default', h)),
      );
      this.#scoped.set(scope.key, (out = Object.freeze(list)));
    }
    return out;
  }

  /** VirtualServices bound to gateway `ns/name`, visible from `namespace` (the gateway workload's). */
  forGateway(gateway: string, namespace: string): readonly VirtualService[] {
    const key = `${gateway}@${namespace}`;
    let out = this.#gatewayFrom.get(key);
    if (!out) {
      const list = (this.#byGateway.get(gateway) ?? []).filter((vs) =>
        this.isVisible(vs, namespace),
      );
      this.#gatewayFrom.set(key, (out = Object.freeze(list)));
    }
    return out;
  }
}
