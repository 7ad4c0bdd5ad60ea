// The push's service registry: Kubernetes Services first (they win a hostname
// in their namespace, as Istio's aggregate registry orders them), then
// ServiceEntries oldest first.
import type { ConfigSnapshot } from '../../config/types.ts';
import type { MeshConfig, Service } from '../types.ts';
import type { ModelDiagnostic } from '../errors.ts';
import { sortedByCreation } from '../config-order.ts';
import { convertKubeService } from './kube-services.ts';
import { groupSlices, kubeServiceEndpoints, type PortEndpoints } from './endpoints.ts';
import { convertServiceEntry } from './service-entries.ts';
import { ServiceIndex } from './service-index.ts';
import { guarded } from './kube-shape.ts';
import type { WorkloadIndex } from './workloads.ts';

export function buildServiceIndex(
  snapshot: ConfigSnapshot,
  mesh: MeshConfig,
  workloads: WorkloadIndex,
  diagnostics: ModelDiagnostic[],
): ServiceIndex {
  const entries: { service: Service; endpoints: PortEndpoints }[] = [];
  const slices = groupSlices(snapshot);
  for (const obj of snapshot.list('Service')) {
    const label = `service ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const entry = guarded(label, diagnostics, () => {
      const service = convertKubeService(obj, mesh, diagnostics);
      if (!service) return undefined;
      const own = slices.get(`${service.namespace}/${service.name}`);
      return { service, endpoints: kubeServiceEndpoints(service, own, snapshot, workloads) };
    });
    if (entry) entries.push(entry);
  }
  for (const obj of sortedByCreation(snapshot.list('ServiceEntry'))) {
    if (!obj.spec) continue;
    const converted = convertServiceEntry(obj, mesh, workloads);
    converted.services.forEach((service, i) =>
      entries.push({ service, endpoints: converted.endpoints[i]! }),
    );
  }
  return new ServiceIndex(entries, diagnostics);
}
