// The double is only as good as its faithfulness: these drive it through
// @kubernetes/client-node exactly as product code does.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiServerDouble } from './api-server.ts';

let server: KubeApiServerDouble;
let kc: KubeConfig;

beforeEach(async () => {
  server = await KubeApiServerDouble.start();
  kc = server.kubeConfig();
});

afterEach(async () => {
  await server.close();
});

const vs = (
  name: string,
  host: string,
  namespace = 'default',
): KubernetesObject & { spec: unknown } => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace },
  spec: { hosts: [host] },
});

describe('KubeApiServerDouble', () => {
  it('serves discovery well enough for KubernetesObjectApi to create, read, list and delete any kind', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const created = await api.create(vs('reviews', 'reviews'));
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.uid).toBeTruthy();
    const read = await api.read({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
    });
    expect(read.apiVersion).toBe('networking.istio.io/v1beta1'); // one storage, served at every version
    const list = await api.list('networking.istio.io/v1', 'VirtualService', 'default');
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['reviews']);
    await api.delete(read);
    await expect(
      api.read({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'reviews', namespace: 'default' },
      }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('lists built-in kinds without apiVersion/kind on the items, like the real server', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'ratings' }, spec: { ports: [{ port: 9080 }] } },
    });
    const res = await fetch(`${server.url}/api/v1/services`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    const body = (await res.json()) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: Array<Record<string, unknown>>;
    };
    expect(body.kind).toBe('ServiceList');
    expect(body.metadata.resourceVersion).toBe(String(server.revision));
    expect(body.items[0]!.kind).toBeUndefined();
    expect(body.items[0]!.apiVersion).toBeUndefined();
  });

  it('answers 401 without a valid token, and 404 for a resource whose CRD is not installed', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(server.kubeconfigText().replace(server.adminToken, 'wrong'));
    await expect(bad.makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 401 });

    server.removeResource('networking.istio.io', 'sidecars');
    const custom = kc.makeApiClient(CustomObjectsApi);
    await expect(
      custom.listClusterCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        plural: 'sidecars',
      }),
    ).rejects.toMatchObject({ code: 404 });
  });
});
