// The config snapshot as the push context reads it: the stored objects plus the
// Gateways and VirtualServices made from the Ingresses pilot owns, as Istio's
// ingress controller adds its generated configs to the config store. Every index
// after this (gateways by selector, VirtualServices by gateway, Sidecar scopes)
// sees them like any other, and generators need no Ingress code at all.
import type { ConfigObject } from '../../../api/config/object.ts';
import type { ConfigSnapshot } from '../../config/types.ts';
import type { ModelDiagnostic } from '../errors.ts';
import { deepFreeze } from '../freeze.ts';
import type { MeshConfig } from '../types.ts';
import { ownedIngresses } from './class.ts';
import { convertIngresses } from './convert.ts';

export function withIngresses(
  snapshot: ConfigSnapshot,
  mesh: MeshConfig,
  diagnostics: ModelDiagnostic[],
): ConfigSnapshot {
  const owned = ownedIngresses(snapshot, mesh);
  if (owned.length === 0) return snapshot;
  const { gateways, virtualServices } = convertIngresses(owned, snapshot, mesh, diagnostics);
  const extra = new Map<string, readonly ConfigObject[]>([
    ['Gateway', deepFreeze(gateways)],
    ['VirtualService', deepFreeze(virtualServices)],
  ]);
  return {
    revision: snapshot.revision,
    list(kind, namespace) {
      const stored = snapshot.list(kind, namespace);
      const made = (extra.get(kind) ?? []).filter(
        (o) => namespace === undefined || o.metadata.namespace === namespace,
      );
      return made.length === 0 ? stored : [...stored, ...made];
    },
    get(kind, namespace, name) {
      return (
        snapshot.get(kind, namespace, name) ??
        extra.get(kind)?.find((o) => o.metadata.namespace === namespace && o.metadata.name === name)
      );
    },
  };
}
