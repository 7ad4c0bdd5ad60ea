// IST0113: a DestinationRule's TLS mode that contradicts the PeerAuthentication
// of the workloads it sends to. DISABLE towards a STRICT workload is refused
// by the server; ISTIO_MUTUAL towards a workload with mTLS DISABLE fails the
// handshake. Checked per service port (DestinationRule port-level settings and
// PeerAuthentication portLevelMtls both apply) and per subset with its own TLS.
import type { V1Pod } from '@kubernetes/client-node';
import type { ConfigObject } from '../../../api/config/object.ts';
import type { DestinationRuleSpec, TrafficPolicy } from '../../../api/istio/index.ts';
import type { FieldPath } from '../../config/admit.ts';
import { selectorMatches } from '../../model/labels.ts';
import type { Service, ServicePort } from '../../model/types.ts';
import { MESSAGES } from '../messages.ts';
import { PeerAuthentications } from '../peer-authentication.ts';
import type { Analyzer, AnalysisContext } from '../types.ts';

interface ClientScope {
  policy: TrafficPolicy | undefined;
  labels?: Record<string, string>;
  path: FieldPath;
}

/** The client TLS mode for one port: its port-level setting, else the scope's. */
function clientMode(
  scope: ClientScope,
  port: number,
): { mode?: string; path: FieldPath; portLevel: boolean } {
  const i =
    scope.policy?.portLevelSettings?.findIndex((p) => p.port.number === port && p.tls) ?? -1;
  if (i >= 0) {
    const mode = scope.policy!.portLevelSettings![i]!.tls!.mode;
    return { mode, path: [...scope.path, 'portLevelSettings', i, 'tls', 'mode'], portLevel: true };
  }
  return { mode: scope.policy?.tls?.mode, path: [...scope.path, 'tls', 'mode'], portLevel: false };
}

/** The workload port a service port lands on (a named targetPort resolved through the pod's containers). */
function workloadPort(port: ServicePort, pod: V1Pod | undefined): number {
  const t = port.targetPort;
  if (typeof t === 'number') return t;
  if (typeof t === 'string' && pod) {
    for (const c of pod.spec?.containers ?? [])
      for (const p of c.ports ?? []) if (p.name === t) return p.containerPort;
  }
  return port.port;
}

function podsOf(ctx: AnalysisContext, service: Service): V1Pod[] {
  if (!service.selector) return [];
  return ctx.snapshot
    .list('Pod', service.namespace)
    .filter((p) =>
      selectorMatches(service.selector, p.metadata.labels ?? {}),
    ) as unknown as V1Pod[];
}

export const mtlsConflictAnalyzer: Analyzer = {
  name: 'auth.MTLSConflictAnalyzer',
  description:
    'Checks that DestinationRule TLS modes agree with the PeerAuthentication of their workloads',
  analyze(ctx) {
    const peers = new PeerAuthentications(ctx.snapshot, ctx.push.mesh.rootNamespace);
    if (peers.empty) return;
    for (const dr of ctx.snapshot.list('DestinationRule')) {
      const spec = dr.spec as DestinationRuleSpec;
      const namespace = dr.metadata.namespace ?? 'default';
      const scopes: ClientScope[] = [
        { policy: spec.trafficPolicy, path: ['spec', 'trafficPolicy'] },
      ];
      spec.subsets?.forEach((s, i) => {
        if (s.trafficPolicy?.tls || s.trafficPolicy?.portLevelSettings?.some((p) => p.tls))
          scopes.push({
            policy: s.trafficPolicy,
            labels: s.labels,
            path: ['spec', 'subsets', i, 'trafficPolicy'],
          });
      });
      const host = ctx.push.resolveHost(spec.host, namespace);
      for (const service of ctx.services.matching(host, namespace)) {
        if (service.meshExternal) continue; // outside the mesh: no PeerAuthentication applies
        checkService(ctx, peers, dr, service, scopes);
      }
    }
  },
};

function checkService(
  ctx: AnalysisContext,
  peers: PeerAuthentications,
  dr: ConfigObject,
  service: Service,
  scopes: readonly ClientScope[],
): void {
  const drName = `${dr.metadata.namespace ?? 'default'}/${dr.metadata.name}`;
  const allPods = podsOf(ctx, service);
  for (const scope of scopes) {
    const pods = scope.labels
      ? allPods.filter((p) => selectorMatches(scope.labels, p.metadata?.labels ?? {}))
      : allPods;
    // No pods known: judge by the namespace and mesh policies alone.
    const targets: Array<V1Pod | undefined> = pods.length > 0 ? pods : [undefined];
    for (const port of service.ports) {
      const client = clientMode(scope, port.port);
      if (client.mode !== 'DISABLE' && client.mode !== 'ISTIO_MUTUAL') continue;
      for (const pod of targets) {
        const server = peers.modeFor(
          service.namespace,
          pod?.metadata?.labels ?? {},
          workloadPort(port, pod),
        );
        const conflict =
          (client.mode === 'DISABLE' && server.mode === 'STRICT') ||
          (client.mode === 'ISTIO_MUTUAL' && server.mode === 'DISABLE');
        if (!conflict || !server.policy) continue;
        const host =
          client.portLevel || server.portLevel
            ? `${service.hostname}:${port.port}`
            : service.hostname;
        ctx.report(
          MESSAGES.MTLSPolicyConflict.make(
            host,
            drName,
            client.mode === 'ISTIO_MUTUAL',
            server.policy,
            server.mode,
          ),
          dr,
          client.path,
        );
      }
    }
  }
}
