// The Ingress status pilot owes (Istio's ingress status.go, runningAddresses): every
// Ingress it serves carries the addresses of the ingress gateway's Service
// (mesh ingressService in ingressNamespace) in status.loadBalancer.ingress — the
// Service's load balancer IPs and hostnames plus its externalIPs, or its external
// name for an ExternalName Service; none while the Service is missing. Istio falls
// back to the gateway nodes' external IPs when ingressService is empty; pilot
// does not read Nodes, so then it writes no status at all (the mesh file says so).
import type { ConfigSnapshot } from '../../config/types.ts';
import type { MeshConfig } from '../types.ts';
import { ownedIngresses } from './class.ts';

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface IngressStatusUpdate {
  namespace: string;
  name: string;
  /** What status.loadBalancer.ingress must become. */
  ingress: LoadBalancerIngress[];
}

interface ServiceShape {
  spec?: { type?: string; externalName?: string; externalIPs?: string[] };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const isIp = (s: string) => IPV4.test(s) || s.includes(':');

/** Istio's sliceToStatus: IPs as ip, names as hostname, sorted by hostname then IP. */
function toStatus(addresses: string[]): LoadBalancerIngress[] {
  const out = [...new Set(addresses.filter(Boolean))].map((a) =>
    isIp(a) ? { ip: a } : { hostname: a },
  );
  // Byte order, as Go's strings.Compare: IPs (no hostname) first.
  const cmp = (x = '', y = '') => (x < y ? -1 : x > y ? 1 : 0);
  return out.sort((a, b) => cmp(a.hostname, b.hostname) || cmp(a.ip, b.ip));
}

/** The gateway Service's addresses, or undefined when no status is to be written. */
function gatewayAddresses(
  snapshot: ConfigSnapshot,
  mesh: MeshConfig,
): LoadBalancerIngress[] | undefined {
  if (!mesh.ingressService) return undefined;
  const svc = snapshot.get('Service', mesh.ingressNamespace, mesh.ingressService) as
    ServiceShape | undefined;
  if (!svc) return [];
  if (svc.spec?.type === 'ExternalName') return toStatus([svc.spec.externalName ?? '']);
  const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '');
  return toStatus([...lb, ...(svc.spec?.externalIPs ?? [])]);
}

function current(obj: unknown): LoadBalancerIngress[] {
  const list =
    (obj as { status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } } }).status
      ?.loadBalancer?.ingress ?? [];
  return list.map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname ?? '' }));
}

const same = (a: LoadBalancerIngress[], b: LoadBalancerIngress[]) =>
  a.length === b.length &&
  a.every((x, i) => x.ip === b[i]!.ip && (x.hostname ?? '') === (b[i]!.hostname ?? ''));

/** The owned Ingresses whose status differs from what it should be. */
export function ingressStatusUpdates(
  snapshot: ConfigSnapshot,
  mesh: MeshConfig,
): IngressStatusUpdate[] {
  const want = gatewayAddresses(snapshot, mesh);
  if (!want) return [];
  return ownedIngresses(snapshot, mesh)
    .filter((o) => !same(current(o), want))
    .map((o) => ({
      namespace: o.metadata.namespace ?? 'default',
      name: o.metadata.name,
      ingress: want,
    }));
}
