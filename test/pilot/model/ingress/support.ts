// Ingress and IngressClass objects for the conversion tests, admitted the way both
// config sources admit them (pilot/config/admit.ts: schema and unsupported-field
// checks), into a real MemoryConfigStore snapshot.
import type { ConfigObject } from '../../../../api/config/object.ts';
import { MemoryConfigStore } from '../../../../pilot/config/memory-store.ts';
import { admitObject } from '../../../../pilot/config/admit.ts';
import type { ConfigSnapshot } from '../../../../pilot/config/types.ts';
import { meshConfig } from '../../../../pilot/model/mesh-config.ts';
import type { MeshConfig } from '../../../../pilot/model/types.ts';

export interface MetaExtra {
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export function ingress(
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
  extra: MetaExtra = {},
): ConfigObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, ...extra },
    spec,
  };
}

export function ingressClass(
  name: string,
  controller: string,
  annotations?: Record<string, string>,
): ConfigObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { controller },
  };
}

/** `path` on `service:port` (a number, or a port name). */
export function path(
  p: string | undefined,
  pathType: string,
  service: string,
  port: number | string,
): Record<string, unknown> {
  return {
    ...(p === undefined ? {} : { path: p }),
    pathType,
    backend: {
      service: {
        name: service,
        port: typeof port === 'number' ? { number: port } : { name: port },
      },
    },
  };
}

export function rule(host: string | undefined, paths: Record<string, unknown>[]) {
  return { ...(host ? { host } : {}), http: { paths } };
}

/** Admits every object (throwing on an error, as a fixture must be valid) into one snapshot. */
export function admitted(objects: ConfigObject[]): ConfigSnapshot {
  const store = new MemoryConfigStore();
  for (const obj of objects) {
    const result = admitObject(obj);
    if (!result.object)
      throw new Error(`fixture invalid: ${result.errors.map((e) => e.message).join('; ')}`);
    store.upsert(result.object);
  }
  return store.snapshot();
}

export const mesh = (partial: Partial<MeshConfig> = {}): MeshConfig => meshConfig(partial);
