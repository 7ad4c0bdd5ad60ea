// The double is only as good as its faithfulness: these drive it through
// @kubernetes/client-node exactly as product code does.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  setHeaderOptions,
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

describe('Verbs of the double', () => {
  it('applies merge, JSON and strategic merge patches, and refuses strategic merge on custom resources', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'ratings', labels: { app: 'ratings' } },
        spec: { ports: [{ name: 'http', port: 9080 }] },
      },
    });
    const json = await core.patchNamespacedService(
      {
        name: 'ratings',
        namespace: 'default',
        body: [{ op: 'add', path: '/metadata/labels/version', value: 'v1' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(json.metadata?.labels).toEqual({ app: 'ratings', version: 'v1' });
    const smp = await core.patchNamespacedService(
      {
        name: 'ratings',
        namespace: 'default',
        body: { spec: { ports: [{ name: 'grpc', port: 9090 }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.ports?.map((p) => p.port)).toEqual([9080, 9090]); // merged on `port`, not replaced
    const merge = await core.patchNamespacedService(
      { name: 'ratings', namespace: 'default', body: { metadata: { labels: { version: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merge.metadata?.labels).toEqual({ app: 'ratings' });

    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
      body: vs('a', 'a'),
    });
    await expect(
      custom.patchNamespacedCustomObject(
        {
          group: 'networking.istio.io',
          version: 'v1',
          namespace: 'default',
          plural: 'virtualservices',
          name: 'a',
          body: { spec: { hosts: ['b'] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    ).rejects.toMatchObject({ code: 415 });
    await expect(
      custom.patchNamespacedCustomObject(
        {
          group: 'networking.istio.io',
          version: 'v1',
          namespace: 'default',
          plural: 'virtualservices',
          name: 'a',
          body: [{ op: 'test', path: '/spec/hosts/0', value: 'zzz' }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('rejects a stale resourceVersion with 409 Conflict and keeps no-op writes silent', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const v1 = await api.create(vs('a', 'a'));
    const v2 = await api.replace({ ...v1, spec: { hosts: ['b'] } });
    expect(Number(v2.metadata!.resourceVersion)).toBeGreaterThan(
      Number(v1.metadata!.resourceVersion),
    );
    expect(v2.metadata!.generation).toBe(2);
    await expect(api.replace({ ...v1, spec: { hosts: ['c'] } })).rejects.toMatchObject({
      code: 409,
    });
    const again = await api.replace(v2);
    expect(again.metadata!.resourceVersion).toBe(v2.metadata!.resourceVersion);
  });

  it('needs the namespace to exist, and deleting a namespace deletes what is in it', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    await expect(api.create(vs('a', 'a', 'bookinfo'))).rejects.toMatchObject({ code: 404 });
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'bookinfo' } } });
    await api.create(vs('a', 'a', 'bookinfo'));
    await core.deleteNamespace({ name: 'bookinfo' });
    const list = await api.list('networking.istio.io/v1', 'VirtualService');
    expect(list.items).toEqual([]);
  });

  it('keeps status apart behind the /status subresource', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'app', image: 'x' }] },
        status: { podIP: '10.0.0.9' },
      },
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.podIP).toBeUndefined();
    const running = await core.replaceNamespacedPodStatus({
      name: 'p',
      namespace: 'default',
      body: { ...pod, status: { phase: 'Running', podIP: '10.0.0.9' } },
    });
    expect(running.status?.podIP).toBe('10.0.0.9');
    const byIp = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'status.podIP=10.0.0.9',
    });
    expect(byIp.items.map((p) => p.metadata?.name)).toEqual(['p']);
  });

  it('pages a list with limit and continue', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    for (const n of ['a', 'b', 'c']) await api.create(vs(n, n));
    const custom = kc.makeApiClient(CustomObjectsApi);
    const page1 = await custom.listClusterCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'virtualservices',
      limit: 2,
    });
    expect(page1.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'a',
      'b',
    ]);
    const page2 = await custom.listClusterCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'virtualservices',
      limit: 2,
      _continue: page1.metadata.continue,
    });
    expect(page2.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['c']);
    expect(page2.metadata.continue).toBeUndefined();
  });
});
