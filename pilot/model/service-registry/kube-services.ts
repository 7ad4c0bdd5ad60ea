// Kubernetes Services → the service model (Istio's kube conversion): ClusterIP
// services resolve to their endpoints (STATIC), headless ones pass through to the
// address the client asked for, ExternalName ones resolve the external name by DNS.
import type { V1Service } from '@kubernetes/client-node';
import type { ConfigObject } from '../../../api/config/object.ts';
import type { MeshConfig, Service, ServicePort } from '../types.ts';
import type { ModelDiagnostic } from '../errors.ts';
import { kubePortProtocol } from '../protocol.ts';
import { arr } from './kube-shape.ts';
import { EXPORT_TO_ANNOTATION, exportToFromAnnotation, normalizeExportTo } from '../visibility.ts';

export function kubeHostname(name: string, namespace: string, clusterDomain: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** One Service, or undefined (with a diagnostic) when it cannot be modelled. */
export function convertKubeService(
  obj: ConfigObject,
  mesh: MeshConfig,
  diagnostics: ModelDiagnostic[],
): Service | undefined {
  const svc = obj as unknown as V1Service;
  const name = svc.metadata?.name;
  const namespace = svc.metadata?.namespace;
  const label = `service ${namespace ?? ''}/${name ?? ''}`;
  const bad = (message: string) => {
    diagnostics.push({ code: 'PETREL_MODEL_BAD_OBJECT', message: `${label}: ${message}` });
    return undefined;
  };
  if (!name || !namespace) return bad('metadata.name and metadata.namespace are required');
  const spec = svc.spec ?? {};
  const ports: ServicePort[] = [];
  for (const [i, p] of arr(spec.ports).entries()) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
      return bad(`spec.ports[${i}].port: must be 1..65535`);
    const target = p.targetPort as number | string | undefined;
    // Kubernetes defaults targetPort to port; a numeric string ("8080") is a number.
    const targetPort =
      target === undefined || target === ''
        ? p.port
        : typeof target === 'string' && /^\d+$/.test(target)
          ? Number(target)
          : target;
    ports.push({
      name: p.name ?? '',
      port: p.port,
      targetPort,
      protocol: kubePortProtocol(p.port, p.name, p.protocol, p.appProtocol),
    });
  }
  const type = spec.type ?? 'ClusterIP';
  const externalName = type === 'ExternalName' ? spec.externalName : undefined;
  if (type === 'ExternalName' && !externalName)
    return bad('spec.externalName: is required for type ExternalName');
  const headless = type !== 'ExternalName' && spec.clusterIP === 'None';
  const addresses =
    headless || externalName
      ? []
      : [
          ...new Set(
            [spec.clusterIP, ...arr(spec.clusterIPs)].filter(
              (ip): ip is string => !!ip && ip !== 'None',
            ),
          ),
        ];
  const selector =
    spec.selector && Object.keys(spec.selector).length > 0 ? { ...spec.selector } : undefined;
  return {
    hostname: kubeHostname(name, namespace, mesh.clusterDomain),
    name,
    namespace,
    ports,
    addresses,
    resolution: externalName ? 'DNS' : headless ? 'PASSTHROUGH' : 'STATIC',
    // Istio marks ExternalName services mesh-external: the name points outside the mesh.
    meshExternal: externalName !== undefined,
    exportTo: normalizeExportTo(
      exportToFromAnnotation(svc.metadata?.annotations?.[EXPORT_TO_ANNOTATION]),
      namespace,
      mesh.defaultServiceExportTo ?? ['*'],
    ),
    labels: { ...(svc.metadata?.labels ?? {}) },
    selector,
    headless,
    externalName,
    source: 'kubernetes',
    origin: `Service/${namespace}/${name}`,
  };
}
