// The double is only as good as its faithfulness: these drive it through
// @kubernetes/client-node exactly as product code does.
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.ts';
import { KubeApiServerDouble } from './api-server.ts';

let server: KubeApiServerDouble;
let kc: KubeConfig;
const aborts: AbortController[] = [];

beforeEach(async () => {
  server = await KubeApiServerDouble.start();
  kc = server.kubeConfig();
});

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
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

type Event = {
  phase: string;
  obj: {
    metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
  };
};

async function watch(
  path: string,
  query: Record<string, string>,
  events: Event[],
  done?: (err: unknown) => void,
): Promise<void> {
  const ctl = await new Watch(kc).watch(
    path,
    query,
    (phase, obj) => events.push({ phase, obj }),
    done ?? (() => undefined),
  );
  aborts.push(ctl);
}

describe('Watch streams of the double', () => {
  it('streams ADDED, MODIFIED, DELETED and BOOKMARK events from a resourceVersion', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = await custom.listClusterCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'virtualservices',
    });
    const events: Event[] = [];
    await watch(
      '/apis/networking.istio.io/v1/virtualservices',
      { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: 'true' },
      events,
    );

    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
      body: vs('a', 'a'),
    });
    await custom.patchNamespacedCustomObject(
      {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'default',
        plural: 'virtualservices',
        name: 'a',
        body: { spec: { hosts: ['b'] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await custom.deleteNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
      name: 'a',
    });
    server.sendBookmarks();

    await waitFor(() => events.length >= 4, 'four events');
    expect(events.map((e) => `${e.phase} ${e.obj.metadata.name ?? ''}`)).toEqual([
      'ADDED a',
      'MODIFIED a',
      'DELETED a',
      'BOOKMARK ',
    ]);
    const rvs = events.map((e) => Number(e.obj.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(rvs[3]).toBe(server.revision);
  });

  it('replays what a watch missed when it resumes from an older resourceVersion', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const a = await api.create(vs('a', 'a'));
    await api.create(vs('b', 'b'));
    const events: Event[] = [];
    await watch(
      '/apis/networking.istio.io/v1/namespaces/default/virtualservices',
      { resourceVersion: a.metadata!.resourceVersion! },
      events,
    );
    await waitFor(() => events.length >= 1, 'the replayed event');
    expect(events.map((e) => `${e.phase} ${e.obj.metadata.name}`)).toEqual(['ADDED b']);
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event and ends it', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const a = await api.create(vs('a', 'a'));
    await api.create(vs('b', 'b'));
    server.compact();
    const events: Event[] = [];
    let ended = false;
    await watch(
      '/apis/networking.istio.io/v1/virtualservices',
      { resourceVersion: a.metadata!.resourceVersion! },
      events,
      () => (ended = true),
    );
    await waitFor(() => ended, 'the watch to end');
    expect(events).toHaveLength(1);
    expect(events[0]!.phase).toBe('ERROR');
    expect(events[0]!.obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends the current state as ADDED events and an initial-events-end bookmark when asked to', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    await api.create(vs('a', 'a'));
    const events: Event[] = [];
    await watch(
      '/apis/networking.istio.io/v1/virtualservices',
      {
        sendInitialEvents: 'true',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: 'true',
      },
      events,
    );
    await waitFor(() => events.length >= 2, 'initial events');
    expect(events[0]!.phase).toBe('ADDED');
    expect(events[1]!.phase).toBe('BOOKMARK');
    expect(events[1]!.obj.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });
});
