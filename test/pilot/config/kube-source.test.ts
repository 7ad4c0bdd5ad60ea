import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kindInfo } from '../../../api/config/kinds.ts';
import { KubeConfigSource } from '../../../pilot/config/kube-source.ts';
import type { KubeSourceOptions } from '../../../pilot/config/kube-source.ts';
import { MemoryConfigStore } from '../../../pilot/config/memory-store.ts';
import type { ConfigDiagnostic, ConfigEvent } from '../../../pilot/config/types.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';
import type { ApiServerOptions } from '../../support/kube/api-server.ts';
import { istioResources } from '../../support/kube/resource-table.ts';
import { waitFor } from '../../support/kube/wait-for.ts';

type Obj = KubernetesObject & { spec?: unknown };

const vs = (name: string, host: string, weight = 100, namespace = 'default'): Obj => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace },
  spec: { hosts: [host], http: [{ route: [{ destination: { host }, weight }] }] },
});

let server: KubeApiServerDouble;
let kc: KubeConfig;
let api: KubernetesObjectApi;
let store: MemoryConfigStore;
let source: KubeConfigSource;
let events: ConfigEvent[];
let diagnostics: ConfigDiagnostic[];

async function setup(serverOptions: ApiServerOptions = {}): Promise<void> {
  server = await KubeApiServerDouble.start(serverOptions);
  kc = server.kubeConfig();
  api = KubernetesObjectApi.makeApiClient(kc);
  store = new MemoryConfigStore();
  events = [];
  diagnostics = [];
  store.onChange((e) => events.push(e));
}

async function startSource(options: Partial<KubeSourceOptions> = {}): Promise<void> {
  source = new KubeConfigSource({
    store,
    kubeConfig: kc,
    retryInitialMs: 20,
    retryMaxMs: 100,
    ...options,
  });
  source.onDiagnostic((d) => diagnostics.push(d));
  await source.start();
}

const hostsOf = (name: string) =>
  (
    store.snapshot().get('VirtualService', 'default', name)?.spec as
      { hosts?: string[] } | undefined
  )?.hosts;
const lists = (plural: string) =>
  server.requests.filter(
    (r) => r.startsWith(`GET `) && r.includes(`/${plural}`) && !r.includes('watch='),
  ).length;

afterEach(async () => {
  await source?.stop();
  await server?.close();
});

describe('KubeConfigSource', () => {
  it('loads every kind by its initial list, filling in apiVersion/kind that built-in lists leave out', async () => {
    await setup();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'bookinfo' } } });
    await core.createNamespacedService({
      namespace: 'bookinfo',
      body: { metadata: { name: 'reviews' }, spec: { ports: [{ name: 'http', port: 9080 }] } },
    });
    await api.create(vs('reviews', 'reviews'));
    await startSource();

    const snap = store.snapshot();
    const svc = snap.get('Service', 'bookinfo', 'reviews');
    expect(svc).toMatchObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'bookinfo' },
    });
    expect(snap.get('Namespace', undefined, 'bookinfo')).toBeDefined();
    expect(hostsOf('reviews')).toEqual(['reviews']);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(source.status().errorCount).toBe(0);
  });

  it('turns watch events into add, update and delete events in the store', async () => {
    await setup();
    await startSource();
    events.length = 0;

    const created = await api.create(vs('reviews', 'reviews'));
    await waitFor(() => hostsOf('reviews'), 'the add');
    await api.replace({ ...created, spec: vs('reviews', 'reviews.bookinfo').spec } as Obj);
    await waitFor(() => hostsOf('reviews')?.[0] === 'reviews.bookinfo', 'the update');
    await api.delete(created);
    await waitFor(() => events.some((e) => e.type === 'delete'), 'the delete');

    expect(events.filter((e) => e.kind === 'VirtualService').map((e) => e.type)).toEqual([
      'add',
      'update',
      'delete',
    ]);
  });

  it('relists after 410 Gone and converges, deletes made while disconnected included', async () => {
    await setup();
    const a = await api.create(vs('a', 'a'));
    const b = await api.create(vs('b', 'b'));
    await startSource();
    const listsBefore = lists('virtualservices');

    // Cut the watches and keep them cut while the cluster changes, then compact
    // the history the informers would need to catch up from.
    server.disconnectWatches({ hold: true });
    await api.delete(a);
    await api.replace({ ...b, spec: vs('b', 'b-changed').spec } as Obj);
    await api.create(vs('c', 'c'));
    server.compact();
    server.releaseWatches();

    await waitFor(
      () => !hostsOf('a') && hostsOf('b')?.[0] === 'b-changed' && hostsOf('c'),
      'the store to converge',
    );
    expect(
      store
        .snapshot()
        .list('VirtualService')
        .map((o) => o.metadata.name),
    ).toEqual(['b', 'c']);
    expect(lists('virtualservices')).toBeGreaterThan(listsBefore); // it relisted, not replayed
    expect(events.filter((e) => e.key === 'VirtualService/default/a').map((e) => e.type)).toEqual([
      'add',
      'delete',
    ]);
  });

  it('reports an invalid Istio object and does not use it, keeping the last good version', async () => {
    await setup();
    await api.create(vs('bad', 'bad', 150));
    const good = await api.create(vs('good', 'good'));
    await startSource();

    expect(store.snapshot().get('VirtualService', 'default', 'bad')).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toContain(
      'kube: virtualservice default/bad: spec.http[0].route[0].weight: must be 0..100',
    );

    await api.replace({ ...good, spec: vs('good', 'good-changed', 120).spec } as Obj);
    await waitFor(
      () => diagnostics.find((d) => d.message.includes('virtualservice default/good:')),
      'the invalid update to be reported',
    );
    expect(hostsOf('good')).toEqual(['good']);
    expect(source.status().errorCount).toBe(2);

    const latest = await api.read(good as never);
    await api.replace({ ...latest, spec: vs('good', 'good-fixed').spec } as Obj);
    await waitFor(() => hostsOf('good')?.[0] === 'good-fixed', 'the fixed version');
    expect(source.status().errorCount).toBe(1); // only `bad` is left
  });

  it('reports a missing CRD once, keeps retrying, and picks the kind up once it is installed', async () => {
    await setup({ omit: ['sidecars.networking.istio.io'] });
    await api.create(vs('reviews', 'reviews'));
    await startSource();

    expect(hostsOf('reviews')).toEqual(['reviews']); // the other kinds are not held up
    const missing = diagnostics.filter((d) => d.code === 'PETREL_CONFIG_KUBE_MISSING_KIND');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).toMatch(
      /^kube: Sidecar \(\/apis\/networking\.istio\.io\/v1\/sidecars\): not served/,
    );
    await waitFor(() => lists('sidecars') >= 3, 'retries');
    expect(diagnostics.filter((d) => d.code === 'PETREL_CONFIG_KUBE_MISSING_KIND')).toHaveLength(1);

    server.installResource(istioResources().find((r) => r.kind === 'Sidecar')!);
    await api.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'default' },
      spec: {},
    } as Obj);
    await waitFor(
      () => store.snapshot().get('Sidecar', 'default', 'default'),
      'the Sidecar to arrive',
    );
    expect(source.status().errorCount).toBe(0);
  });

  it('resyncs by relisting without firing events for what did not change, and keeps watching', async () => {
    await setup();
    await api.create(vs('a', 'a'));
    await startSource();
    events.length = 0;
    const listsBefore = lists('virtualservices');

    await source.resync();
    expect(lists('virtualservices')).toBeGreaterThan(listsBefore);
    expect(events).toEqual([]);
    await api.create(vs('b', 'b'));
    await waitFor(() => hostsOf('b'), 'a change after the resync');
  });

  it('finds the cluster through KUBECONFIG when given no KubeConfig', async () => {
    await setup();
    await api.create(vs('a', 'a'));
    const dir = await mkdtemp(join(tmpdir(), 'petrel-kubeconfig-'));
    const saved = process.env.KUBECONFIG;
    try {
      await writeFile(join(dir, 'config'), server.kubeconfigText());
      process.env.KUBECONFIG = join(dir, 'config');
      source = new KubeConfigSource({ store, kinds: [kindInfo('VirtualService')!], resyncMs: 0 });
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await rm(dir, { recursive: true, force: true });
    }
    await source.start();
    expect(hostsOf('a')).toEqual(['a']);
  });
});
