// IST0109: two VirtualServices bound to the mesh that define the same host for
// the same namespaces (Istio's virtualservice.ConflictingMeshGatewayHostsAnalyzer).
// Sidecars do not merge them: which one's routes a proxy gets depends on
// creation order, so the other is silently ignored.
import type { VirtualServiceSpec } from '../../../api/istio/index.ts';
import type { ConfigObject } from '../../../api/config/object.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';
import { boundToMesh } from './vs-walk.ts';

export const conflictingMeshHostsAnalyzer: Analyzer = {
  name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
  description:
    'Checks if multiple virtual services associated with the mesh gateway have conflicting hosts',
  analyze(ctx) {
    // `scope/fqdn` → the VirtualServices defining it for that scope (Istio's ScopedFqdn).
    const byScopedHost = new Map<string, ConfigObject[]>();
    for (const vs of ctx.snapshot.list('VirtualService')) {
      const spec = vs.spec as VirtualServiceSpec;
      if (!boundToMesh(spec)) continue;
      const namespace = vs.metadata.namespace ?? 'default';
      const exportTo = spec.exportTo ?? [];
      const scopes =
        exportTo.length === 0 || exportTo.includes('*')
          ? ['*']
          : [...new Set(exportTo.map((e) => (e === '.' ? namespace : e)))];
      for (const scope of scopes) {
        for (const host of new Set(spec.hosts ?? [])) {
          const key = `${scope}/${ctx.push.resolveHost(host, namespace)}`;
          const list = byScopedHost.get(key) ?? [];
          if (!list.includes(vs)) list.push(vs);
          byScopedHost.set(key, list);
        }
      }
    }
    for (const [scopedHost, list] of byScopedHost) {
      if (list.length < 2) continue;
      const names = list
        .map((vs) => `${vs.metadata.namespace ?? 'default'}/${vs.metadata.name}`)
        .sort()
        .join(',');
      for (const vs of list) {
        ctx.report(MESSAGES.ConflictingMeshGatewayVirtualServiceHosts.make(names, scopedHost), vs, [
          'metadata',
          'name',
        ]);
      }
    }
  },
};
