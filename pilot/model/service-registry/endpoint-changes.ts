// Which services an endpoint change is about. Istio's EDS-only push names the
// service whose endpoints changed (ConfigsUpdated holds the ServiceEntry or
// Service, not the EndpointSlice); pilot's store events name the object that
// changed, so this maps one to the other, reading the object from the
// snapshot before the change and the one after (it may be missing from either).
import { isDeepStrictEqual } from 'node:util';
import type { ServiceEntrySpec } from '../../../api/istio/index.ts';
import type { ConfigEvent, ConfigSnapshot } from '../../config/types.ts';
import { kubeHostname } from './kube-services.ts';
import { SERVICE_NAME_LABEL } from './endpoints.ts';

/** One service, as the PushContext looks it up. */
export interface ServiceRef {
  hostname: string;
  namespace: string;
}

/** Kinds whose every change is about endpoints only. */
const ENDPOINT_KINDS = new Set(['EndpointSlice', 'Endpoints']);

/**
 * Whether a store event changes nothing but endpoints: any EndpointSlice or
 * Endpoints change, and a ServiceEntry update that touches only
 * spec.endpoints (as Istio's ServiceEntry handler, which pushes EDS alone then).
 */
export function isEndpointOnlyChange(event: ConfigEvent): boolean {
  if (ENDPOINT_KINDS.has(event.kind)) return true;
  if (event.kind !== 'ServiceEntry' || event.type !== 'update' || !event.previous) return false;
  const before = event.previous;
  const after = event.object;
  return (
    isDeepStrictEqual(before.metadata.labels ?? {}, after.metadata.labels ?? {}) &&
    isDeepStrictEqual(withoutEndpoints(before.spec), withoutEndpoints(after.spec))
  );
}

function withoutEndpoints(spec: unknown): unknown {
  if (!spec || typeof spec !== 'object') return spec;
  const { endpoints: _ignored, ...rest } = spec as ServiceEntrySpec;
  return rest;
}

/**
 * The services whose endpoints the objects under `keys` (`kind/namespace/name`)
 * carry, in either snapshot. Undefined when a key is of a kind that is not
 * about endpoints: the caller must then treat the change as a full one.
 */
export function servicesOfEndpointKeys(
  keys: Iterable<string>,
  before: ConfigSnapshot,
  after: ConfigSnapshot,
  clusterDomain: string,
): ServiceRef[] | undefined {
  const out = new Map<string, ServiceRef>();
  const add = (hostname: string, namespace: string) =>
    out.set(`${namespace}/${hostname}`, { hostname, namespace });
  for (const key of keys) {
    const parts = key.split('/');
    if (parts.length !== 3) return undefined;
    const [kind, namespace, name] = parts as [string, string, string];
    if (kind === 'Endpoints') {
      add(kubeHostname(name, namespace, clusterDomain), namespace);
    } else if (kind === 'EndpointSlice') {
      for (const snapshot of [before, after]) {
        const service = snapshot.get(kind, namespace, name)?.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service) add(kubeHostname(service, namespace, clusterDomain), namespace);
      }
    } else if (kind === 'ServiceEntry') {
      for (const snapshot of [before, after]) {
        const spec = snapshot.get(kind, namespace, name)?.spec as ServiceEntrySpec | undefined;
        // As convertServiceEntry: an entry without a namespace lives in default.
        for (const host of spec?.hosts ?? []) add(host, namespace || 'default');
      }
    } else {
      return undefined;
    }
  }
  return [...out.values()];
}
