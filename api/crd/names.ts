// What Istio's own CRDs say about each kind besides its schema: short names,
// categories, printer columns and a one-line description, so `kubectl get vs`,
// `kubectl get istio-io` and the columns users know work the same with Petrel.
import { CrdError } from './errors.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
}

export interface CrdNames {
  shortNames?: string[];
  /** Columns before Age (every kind ends with Age, as Istio's do). */
  columns: PrinterColumn[];
  description: string;
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is the server time when this object was created.',
};

const col = (name: string, jsonPath: string, description: string): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath,
  description,
});

const NAMES: Record<string, CrdNames> = {
  Gateway: {
    shortNames: ['gw'],
    columns: [],
    description:
      'Configuration affecting an edge load balancer (a gateway proxy): ports, protocols, hosts and TLS.',
  },
  VirtualService: {
    shortNames: ['vs'],
    columns: [
      col(
        'Gateways',
        '.spec.gateways',
        'The names of gateways and sidecars that should apply these routes',
      ),
      col('Hosts', '.spec.hosts', 'The destination hosts to which traffic is being sent'),
    ],
    description:
      'Configuration affecting traffic routing: HTTP, TLS (SNI) and TCP routes to destinations.',
  },
  DestinationRule: {
    shortNames: ['dr'],
    columns: [col('Host', '.spec.host', 'The name of a service from the service registry')],
    description:
      'Configuration affecting traffic to a service after routing: load balancing, connection pools, outlier detection, TLS, subsets.',
  },
  ServiceEntry: {
    shortNames: ['se'],
    columns: [
      col('Hosts', '.spec.hosts', 'The hosts associated with the ServiceEntry'),
      col(
        'Location',
        '.spec.location',
        'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)',
      ),
      col(
        'Resolution',
        '.spec.resolution',
        'Service resolution mode for the hosts (NONE, STATIC, or DNS)',
      ),
    ],
    description:
      'Configuration affecting the service registry: services outside the platform registry.',
  },
  Sidecar: {
    columns: [],
    description: 'Configuration affecting the network reachability of a sidecar.',
  },
  PeerAuthentication: {
    shortNames: ['pa'],
    columns: [
      col('Mode', '.spec.mtls.mode', 'Defines the mTLS mode used for peer authentication.'),
    ],
    description: 'Peer authentication configuration for workloads.',
  },
  AuthorizationPolicy: {
    shortNames: ['ap'],
    columns: [col('Action', '.spec.action', 'The operation to take.')],
    description: 'Configuration for access control on workloads.',
  },
  RequestAuthentication: {
    shortNames: ['ra'],
    columns: [],
    description: 'Request authentication configuration for workloads.',
  },
  LocalRateLimit: {
    shortNames: ['lrl'],
    columns: [],
    description:
      "Petrel's local rate limit: a token bucket per listener or route on gateways and sidecars (api/petrel/README.md).",
  },
};

export function crdNames(kind: string): CrdNames & { printerColumns: PrinterColumn[] } {
  const names = NAMES[kind];
  if (!names)
    throw new CrdError(
      'PETREL_CRD_UNKNOWN_KIND',
      `${kind}: api/crd/names.ts has no short names, columns or description for it`,
    );
  return { ...names, printerColumns: [...names.columns, AGE] };
}

/** Istio's categories: `kubectl get istio-io` lists every Istio object, `networking-istio-io` one group's. */
export function categoriesOf(group: string): string[] {
  if (!group.endsWith('.istio.io')) return ['petrel'];
  return ['istio-io', `${group.split('.')[0]}-istio-io`];
}
