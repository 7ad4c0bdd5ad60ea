// Analysis of a cluster through pilot's own --kube source, against the
// protocol-faithful API server double: objects listed, rejected objects
// reported as schema errors without a file, an unreachable cluster refused.
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputBuilder, addKube, analyze, messageLine } from '../../../pilot/analyze/index.ts';
import { AnalyzeError } from '../../../pilot/analyze/errors.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';

let apiServer: KubeApiServerDouble;

beforeAll(async () => {
  apiServer = await KubeApiServerDouble.start();
  const api = KubernetesObjectApi.makeApiClient(apiServer.kubeConfig());
  await api.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] },
  } as never);
  await api.create({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviewz' } }] }] },
  } as never);
  await api.create({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'broken', namespace: 'default' },
    spec: { host: 'reviews', trafficPolicy: { tls: { mode: 'SOMETIMES' } } },
  } as never);
});

afterAll(async () => {
  await apiServer?.close();
});

describe('addKube', () => {
  it('analyses what the API server holds, naming objects without a file', async () => {
    const builder = new InputBuilder();
    await addKube(builder, apiServer.kubeConfig());
    const lines = analyze(builder.input()).map(messageLine);
    expect(lines).toContain(
      'Error [IST0101] (VirtualService default/reviews) Referenced host not found: "reviewz"',
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          'Error [IST0106] (DestinationRule default/broken) Schema validation error: spec.trafficPolicy.tls.mode',
        ),
      ),
    ).toBe(true);
  });

  it('refuses to analyse a cluster it cannot list', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(addKube(new InputBuilder(), kc)).rejects.toBeInstanceOf(AnalyzeError);
  });
});
