// Petrel's CRDs, chart and webhooks against a real kube-apiserver (with etcd and
// kube-controller-manager, built by peers/kube/build-kube.sh): the CRD schemas
// refuse what they can state; every object the petrel chart renders is accepted;
// with the chart's webhook configurations pointed at Petrel's injector on
// loopback, the real admission chain injects the sidecar into pods of labelled
// namespaces and the validating webhook refuses what only Petrel's validation
// catches. test/injector and test/pilot cover the same paths against the
// protocol-faithful API server double in `npm test`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectorConfig } from '../../injector/config.ts';
import { kubeNamespaceLabels } from '../../injector/namespace-labels.ts';
import { startInjectorServer, type InjectorServer } from '../../injector/server.ts';
import { istioWebhookConfigNames, patchWebhookCaBundles } from '../../injector/webhook-config.ts';
import { startKubeCluster, type KubeCluster } from './kube/cluster.ts';
import {
  createAll,
  eventually,
  installCrds,
  parseObjects,
  refusal,
  renderChart,
} from './kube/objects.ts';
import { helmBinary } from './kube/peer.ts';
import { pointWebhooksAt } from './kube/webhooks.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SYSTEM_NS = 'istio-system';
const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' };

let cluster: KubeCluster;
let kc: KubeConfig;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let injector: InjectorServer;
let crdNames: string[] = [];
let chartKinds: string[] = [];
let webhookUrls: string[] = [];
let caBundles: Record<string, string> = {};

function virtualService(
  name: string,
  route: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default' },
    spec: {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews' }, ...route }], ...extra }],
    },
  };
}

const createVs = (body: object) =>
  custom.createNamespacedCustomObject({
    ...VS,
    namespace: 'default',
    body,
    fieldValidation: 'Strict',
  });

async function namespaceWithServiceAccount(
  name: string,
  labels: Record<string, string>,
): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels } } });
  // The controller-manager makes `default`; a Pod created before it exists is refused.
  await eventually(`ServiceAccount ${name}/default`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );
}

function pod(name: string, namespace: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, namespace, labels: { app: name, ...labels } },
    spec: {
      containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
}

const containerNames = (p: V1Pod) => ({
  init: (p.spec?.initContainers ?? []).map((c) => c.name),
  main: (p.spec?.containers ?? []).map((c) => c.name),
});

beforeAll(async () => {
  const helm = helmBinary();
  cluster = await startKubeCluster();
  kc = cluster.kubeConfig;
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  crdNames = await installCrds(
    kc,
    parseObjects(readFileSync(join(REPO, 'crds/crd-all.gen.yaml'), 'utf8')),
  );

  // The petrel chart as `helm install` would create it; its Deployment stays
  // unscheduled (no scheduler or kubelet here), the rest is all API objects.
  await core.createNamespace({ body: { metadata: { name: SYSTEM_NS } } });
  const chart = renderChart(helm, REPO, 'petrel', SYSTEM_NS);
  await createAll(kc, chart);
  chartKinds = chart.map((o) => o.kind ?? '').sort();

  injector = await startInjectorServer({
    config: injectorConfig(),
    port: 0,
    namespaceLabels: kubeNamespaceLabels(kc, { ttlMs: 0 }),
    log: () => {},
  });
  const names = istioWebhookConfigNames();
  webhookUrls = await pointWebhooksAt(kc, injector.url, names);
  caBundles = await patchWebhookCaBundles(kc, injector.caPem, names);
});

afterAll(async () => {
  await injector?.close();
  await cluster?.stop();
});

describe('the CRDs in a real kube-apiserver', () => {
  it('serves every kind crds/crd-all.gen.yaml defines', () => {
    expect(crdNames.sort()).toEqual([
      'authorizationpolicies.security.istio.io',
      'destinationrules.networking.istio.io',
      'gateways.networking.istio.io',
      'localratelimits.petrel.dev',
      'peerauthentications.security.istio.io',
      'requestauthentications.security.istio.io',
      'serviceentries.networking.istio.io',
      'sidecars.networking.istio.io',
      'virtualservices.networking.istio.io',
    ]);
  });

  it('refuses an unknown field under strict field validation, naming it', async () => {
    const message = await refusal(() => createVs(virtualService('unknown-field', { wieght: 10 })));
    expect(message).toContain('unknown field "spec.http[0].route[0].wieght"');
  });

  it('refuses weight 150 by the schema, with the field path', async () => {
    const message = await refusal(() => createVs(virtualService('weight-150', { weight: 150 })));
    expect(message).toMatch(
      /spec\.http\[0\]\.route\[0\]\.weight: Invalid value: 150: .*less than or equal to 100/,
    );
  });
});

describe('the petrel chart in a real kube-apiserver', () => {
  it('has every rendered object accepted, webhooks included', () => {
    expect(chartKinds).toEqual(
      expect.arrayContaining([
        'Deployment',
        'MutatingWebhookConfiguration',
        'ValidatingWebhookConfiguration',
        'ClusterRole',
        'Service',
      ]),
    );
  });

  it('lets pilot set the caBundle of both webhook configurations', () => {
    expect(caBundles).toEqual({ mutating: 'patched', validating: 'patched' });
    expect(webhookUrls).toContain(`${injector.url}/inject`);
    expect(webhookUrls).toContain(`${injector.url}/validate`);
  });
});

describe('sidecar injection through the real admission chain', () => {
  beforeAll(async () => {
    await namespaceWithServiceAccount('mesh', { 'istio-injection': 'enabled' });
    await namespaceWithServiceAccount('plain', {});
  });

  it('stores a pod of a labelled namespace with istio-init, istio-proxy and the status annotation', async () => {
    const created = await core.createNamespacedPod({ namespace: 'mesh', body: pod('web', 'mesh') });
    const stored = await core.readNamespacedPod({ name: 'web', namespace: 'mesh' });
    for (const p of [created, stored]) {
      expect(containerNames(p)).toEqual({ init: ['istio-init'], main: ['app', 'istio-proxy'] });
      const status = JSON.parse(p.metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}') as {
        containers?: string[];
      };
      expect(status.containers).toEqual(['istio-proxy']);
    }
  });

  it('leaves alone a pod that opts out with sidecar.istio.io/inject=false', async () => {
    const stored = await core.createNamespacedPod({
      namespace: 'mesh',
      body: pod('opt-out', 'mesh', { 'sidecar.istio.io/inject': 'false' }),
    });
    expect(containerNames(stored)).toEqual({ init: [], main: ['app'] });
    expect(stored.metadata?.annotations?.['sidecar.istio.io/status']).toBeUndefined();
  });

  it('leaves alone a pod of a namespace without the injection label', async () => {
    const stored = await core.createNamespacedPod({
      namespace: 'plain',
      body: pod('web', 'plain'),
    });
    expect(containerNames(stored)).toEqual({ init: [], main: ['app'] });
  });
});

describe('validation through the real admission chain', () => {
  it('refuses a bad duration that the schema lets through, by the webhook, with the field path', async () => {
    const message = await refusal(() =>
      createVs(virtualService('bad-timeout', {}, { timeout: '1x' })),
    );
    expect(message).toContain('admission webhook "validation.istio.io" denied the request');
    expect(message).toContain('spec.http[0].timeout');
  });

  it('still refuses weight 150 (the schema answers before the webhook is asked)', async () => {
    const message = await refusal(() => createVs(virtualService('weight-150', { weight: 150 })));
    expect(message).toContain('spec.http[0].route[0].weight');
  });

  it('accepts a valid VirtualService past both', async () => {
    const created = (await createVs(
      virtualService('good', { weight: 100 }, { timeout: '1.5s' }),
    )) as { metadata: { uid?: string } };
    expect(created.metadata.uid).toBeTruthy();
  });
});
