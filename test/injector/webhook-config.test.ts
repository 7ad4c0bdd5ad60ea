// caBundle bootstrap against the Kubernetes API server double, driven through
// @kubernetes/client-node as in a cluster; and namespace labels read the same way.
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InjectorError } from '../../injector/errors.ts';
import { kubeNamespaceLabels } from '../../injector/namespace-labels.ts';
import { generateServingCertificate } from '../../injector/serving-cert.ts';
import {
  istioWebhookConfigNames,
  keepWebhookCaBundles,
  patchWebhookCaBundles,
} from '../../injector/webhook-config.ts';
import { KubeApiServerDouble } from '../support/kube/api-server.ts';

let kube: KubeApiServerDouble;
let kc: KubeConfig;

const WEBHOOK_TYPES = [
  { kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations' },
  { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations' },
];

beforeEach(async () => {
  kube = await KubeApiServerDouble.start();
  for (const t of WEBHOOK_TYPES) {
    kube.installResource({
      group: 'admissionregistration.k8s.io',
      versions: ['v1'],
      ...t,
      namespaced: false,
      custom: false,
      status: false,
    });
  }
  kc = kube.kubeConfig();
});

afterEach(async () => {
  await kube.close();
});

const webhook = (name: string, path: string, caBundle?: string) => ({
  name,
  admissionReviewVersions: ['v1'],
  sideEffects: 'None',
  clientConfig: {
    service: { name: 'istiod', namespace: 'istio-system', path, port: 443 },
    ...(caBundle ? { caBundle } : {}),
  },
});

async function createIstioConfigs(options: { validating?: boolean } = {}): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  await api.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: 'istio-sidecar-injector' },
      webhooks: [
        webhook('rev.namespace.sidecar-injector.istio.io', '/inject', 'c3RhbGU='),
        webhook('namespace.sidecar-injector.istio.io', '/inject'),
      ] as never,
    },
  });
  if (options.validating !== false) {
    await api.createValidatingWebhookConfiguration({
      body: {
        metadata: { name: 'istio-validator-istio-system' },
        webhooks: [webhook('rev.validation.istio.io', '/validate')] as never,
      },
    });
  }
}

async function bundles(): Promise<string[]> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const m = await api.readMutatingWebhookConfiguration({ name: 'istio-sidecar-injector' });
  const v = await api.readValidatingWebhookConfiguration({ name: 'istio-validator-istio-system' });
  return [...(m.webhooks ?? []), ...(v.webhooks ?? [])].map((w) => w.clientConfig.caBundle ?? '');
}

const patches = () => kube.requests.filter((r) => r.startsWith('PATCH '));

describe('webhook caBundle bootstrap', () => {
  it('names the configurations as Istio does', () => {
    expect(istioWebhookConfigNames()).toEqual({
      mutating: 'istio-sidecar-injector',
      validating: 'istio-validator-istio-system',
    });
    expect(istioWebhookConfigNames('canary', 'mesh')).toEqual({
      mutating: 'istio-sidecar-injector-canary',
      validating: 'istio-validator-canary-mesh',
    });
  });

  it("sets every webhook's caBundle to the serving CA, then leaves it alone", async () => {
    await createIstioConfigs();
    const cert = await generateServingCertificate({ dnsNames: ['istiod.istio-system.svc'] });
    const want = Buffer.from(cert.caPem).toString('base64');
    expect(await patchWebhookCaBundles(kc, cert.caPem)).toEqual({
      mutating: 'patched',
      validating: 'patched',
    });
    expect(await bundles()).toEqual([want, want, want]);
    expect(patches()).toHaveLength(2);
    expect(await patchWebhookCaBundles(kc, cert.caPem)).toEqual({
      mutating: 'unchanged',
      validating: 'unchanged',
    });
    expect(patches()).toHaveLength(2);
  });

  it('patches again when the CA changes (a restart with a newly generated certificate)', async () => {
    await createIstioConfigs();
    const first = await generateServingCertificate({ dnsNames: ['a'] });
    const second = await generateServingCertificate({ dnsNames: ['a'] });
    await patchWebhookCaBundles(kc, first.caPem);
    expect(await patchWebhookCaBundles(kc, second.caPem)).toEqual({
      mutating: 'patched',
      validating: 'patched',
    });
    expect(new Set(await bundles())).toEqual(
      new Set([Buffer.from(second.caPem).toString('base64')]),
    );
  });

  it('reports a configuration that does not exist instead of creating it', async () => {
    await createIstioConfigs({ validating: false });
    const cert = await generateServingCertificate({ dnsNames: ['a'] });
    expect(await patchWebhookCaBundles(kc, cert.caPem)).toEqual({
      mutating: 'patched',
      validating: 'missing',
    });
  });

  it("fails with PETREL_INJECT_WEBHOOK_CONFIG and the API server's message when refused", async () => {
    await createIstioConfigs();
    const bad = new KubeConfig();
    bad.loadFromOptions({
      clusters: [{ name: 'double', server: kube.url, skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'wrong' }],
      contexts: [{ name: 'double', cluster: 'double', user: 'nobody' }],
      currentContext: 'double',
    });
    const err = await patchWebhookCaBundles(bad, 'pem').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InjectorError);
    expect((err as InjectorError).code).toBe('PETREL_INJECT_WEBHOOK_CONFIG');
    expect((err as InjectorError).message).toMatch(
      /^mutatingwebhookconfiguration istio-sidecar-injector: .*Unauthorized/,
    );
  });

  it('keepWebhookCaBundles patches at start and logs one line for the change', async () => {
    await createIstioConfigs();
    const cert = await generateServingCertificate({ dnsNames: ['a'] });
    const lines: string[] = [];
    const keeper = keepWebhookCaBundles(kc, () => cert.caPem, {
      log: (l) => lines.push(l),
      intervalMs: 3_600_000,
    });
    await keeper.done;
    keeper.stop();
    expect(lines).toEqual([
      'petrel injector: caBundle of istio-sidecar-injector: patched, istio-validator-istio-system: patched',
    ]);
  });
});

describe('namespace labels from the API', () => {
  it("reads a namespace's labels through client-node", async () => {
    await kc.makeApiClient(CoreV1Api).createNamespace({
      body: { metadata: { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } } },
    });
    const labels = kubeNamespaceLabels(kc);
    expect(await labels('bookinfo')).toEqual({ 'istio-injection': 'enabled' });
    expect(await labels('default')).toEqual({});
    await expect(labels('missing')).rejects.toMatchObject({ code: 404 });
  });
});
