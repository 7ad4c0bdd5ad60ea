// Where a VirtualService names other things: destinations (routes and
// mirrors) and gateways, each with the field path a message should point at.
import type { FieldPath } from '../../config/admit.ts';
import type { VirtualServiceSpec } from '../../../api/istio/index.ts';

export interface DestinationRef {
  host: string;
  subset?: string;
  port?: number;
  /** Istio's wording: 'host' for routes, 'mirror host' for mirrors. */
  role: 'host' | 'mirror host';
  /** Path of the destination object; `[...path, 'host']` is its host field. */
  path: FieldPath;
}

export interface GatewayRef {
  name: string;
  /** true for spec.gateways (the binding), false for a match's gateways. */
  binding: boolean;
  path: FieldPath;
}

export function destinationsOf(spec: VirtualServiceSpec): DestinationRef[] {
  const out: DestinationRef[] = [];
  const add = (
    d: { host: string; subset?: string; port?: { number: number } },
    role: DestinationRef['role'],
    path: FieldPath,
  ) => out.push({ host: d.host, subset: d.subset, port: d.port?.number, role, path });
  spec.http?.forEach((r, i) => {
    r.route?.forEach((d, j) =>
      add(d.destination, 'host', ['spec', 'http', i, 'route', j, 'destination']),
    );
    if (r.mirror) add(r.mirror, 'mirror host', ['spec', 'http', i, 'mirror']);
    r.mirrors?.forEach((m, j) =>
      add(m.destination, 'mirror host', ['spec', 'http', i, 'mirrors', j, 'destination']),
    );
  });
  for (const kind of ['tcp', 'tls'] as const) {
    spec[kind]?.forEach((r, i) =>
      r.route.forEach((d, j) =>
        add(d.destination, 'host', ['spec', kind, i, 'route', j, 'destination']),
      ),
    );
  }
  return out;
}

export function gatewaysOf(spec: VirtualServiceSpec): GatewayRef[] {
  const out: GatewayRef[] = [];
  spec.gateways?.forEach((name, i) =>
    out.push({ name, binding: true, path: ['spec', 'gateways', i] }),
  );
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    spec[kind]?.forEach((r, i) =>
      r.match?.forEach((m, j) =>
        m.gateways?.forEach((name, k) =>
          out.push({ name, binding: false, path: ['spec', kind, i, 'match', j, 'gateways', k] }),
        ),
      ),
    );
  }
  return out;
}

/** Whether the VirtualService applies to sidecars: no gateways, or `mesh` among them. */
export function boundToMesh(spec: VirtualServiceSpec): boolean {
  return !spec.gateways || spec.gateways.length === 0 || spec.gateways.includes('mesh');
}
