// Mesh-wide settings with Istio's defaults (MeshConfig in istio.io/api).
import type { MeshConfig } from './types.ts';
import { ModelError } from './errors.ts';
import { deepFreeze } from './freeze.ts';
import { readExtensionProviders } from './mesh-providers.ts';

export const DEFAULT_MESH: MeshConfig = deepFreeze({
  trustDomain: 'cluster.local',
  clusterDomain: 'cluster.local',
  connectTimeoutMs: 10_000,
  outboundTrafficPolicy: 'ALLOW_ANY',
  enableAutoMtls: true,
  rootNamespace: 'istio-system',
  defaultServiceExportTo: ['*'],
  defaultVirtualServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
  // Istio's class is `istio`; Petrel answers to its own name (and to any IngressClass
  // whose controller is istio.io/ingress-controller, as Istio does).
  ingressClass: 'petrel',
  ingressControllerMode: 'STRICT',
  ingressService: 'istio-ingressgateway',
  ingressNamespace: 'istio-system',
});

const CONTROLLER_MODES: readonly string[] = ['OFF', 'STRICT', 'DEFAULT'];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const EXPORT_ENTRY = /^(\.|\*|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

function fail(field: string, message: string): never {
  throw new ModelError('PETREL_MODEL_MESH', `mesh config: ${field}: ${message}`);
}

/** Istio's defaults overlaid with `partial`; a wrong value throws one line naming the field. */
export function meshConfig(partial: Partial<MeshConfig> = {}): MeshConfig {
  const mesh = { ...DEFAULT_MESH, ...stripUndefined(partial) };
  for (const field of [
    'trustDomain',
    'clusterDomain',
    'rootNamespace',
    'ingressClass',
    'ingressNamespace',
  ] as const) {
    if (typeof mesh[field] !== 'string' || !mesh[field]) fail(field, 'must be a non-empty string');
  }
  if (typeof mesh.connectTimeoutMs !== 'number' || !(mesh.connectTimeoutMs > 0))
    fail('connectTimeoutMs', 'must be a number above 0');
  if (
    mesh.outboundTrafficPolicy !== 'ALLOW_ANY' &&
    mesh.outboundTrafficPolicy !== 'REGISTRY_ONLY'
  ) {
    fail('outboundTrafficPolicy', 'must be ALLOW_ANY or REGISTRY_ONLY');
  }
  if (typeof mesh.enableAutoMtls !== 'boolean') fail('enableAutoMtls', 'must be true or false');
  if (!CONTROLLER_MODES.includes(mesh.ingressControllerMode))
    fail('ingressControllerMode', `must be one of ${CONTROLLER_MODES.join(', ')}`);
  if (typeof mesh.ingressService !== 'string') fail('ingressService', 'must be a string');
  if (
    mesh.ingressSelector !== undefined &&
    (typeof mesh.ingressSelector !== 'string' ||
      mesh.ingressSelector.length > 63 ||
      !LABEL_VALUE.test(mesh.ingressSelector))
  )
    fail('ingressSelector', "must be a label value (the gateway pods' `istio` label)");
  for (const field of [
    'defaultServiceExportTo',
    'defaultVirtualServiceExportTo',
    'defaultDestinationRuleExportTo',
  ] as const) {
    const list = mesh[field];
    if (!Array.isArray(list) || list.length === 0) fail(field, 'must be a non-empty list');
    list.forEach((e, i) => {
      if (typeof e !== 'string' || !EXPORT_ENTRY.test(e))
        fail(`${field}[${i}]`, 'must be ".", "*", "~" or a namespace name');
    });
  }
  // A bad provider is kept with its problem, never thrown: its CUSTOM policies deny (as Istio).
  if (mesh.extensionProviders !== undefined)
    mesh.extensionProviders = readExtensionProviders(mesh.extensionProviders).providers;
  return deepFreeze(structuredClone(mesh));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
