// The API server double is generic: everything it serves is a row of this table
// (group, versions, kind, plural, scope). Tests install or remove rows to model
// CRDs being present or missing.
import { KINDS } from '../../../api/config/kinds.ts';

export interface ResourceType {
  group: string; // '' for the core group
  /** Served versions, preferred first. All share one storage (Istio's CRDs convert with strategy None). */
  versions: readonly string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  /**
   * A custom resource (CRD). As in a real API server: list items carry
   * apiVersion/kind (built-in lists leave them out), strategic merge patch is
   * refused with 415, and metadata.generation is kept.
   */
  custom: boolean;
  /** Has a /status subresource: the main resource ignores status writes, /status ignores the rest. */
  status: boolean;
  shortNames?: readonly string[];
}

export function resourceId(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** What `kubectl api-resources` would show for the kinds Petrel reads, plus a few the mesh touches. */
export function defaultResources(): ResourceType[] {
  const withStatus = new Set(['Pod', 'Service', 'Namespace', 'Ingress']);
  const fromKinds: ResourceType[] = KINDS.map((k) => ({
    group: k.group,
    versions: [...k.versions],
    kind: k.kind,
    plural: k.plural,
    namespaced: k.namespaced,
    custom: k.istio,
    status: k.istio || withStatus.has(k.kind),
  }));
  return [
    ...fromKinds,
    {
      group: '',
      versions: ['v1'],
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
      custom: false,
      status: false,
      shortNames: ['cm'],
    },
    {
      group: '',
      versions: ['v1'],
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      custom: false,
      status: false,
      shortNames: ['sa'],
    },
  ];
}

/** Istio's CRDs only, e.g. to model a cluster where some are not installed. */
export function istioResources(): ResourceType[] {
  return defaultResources().filter((r) => r.custom);
}

/** An object as the API returns it: apiVersion and kind in the version the request named. */
export function present(type: ResourceType, version: string, obj: object): Record<string, unknown> {
  return { apiVersion: groupVersion(type.group, version), kind: type.kind, ...obj };
}
