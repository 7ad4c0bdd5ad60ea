// pilot --kube writes the status of the Ingresses it serves, as Istio does: the
// addresses of the ingress gateway's Service, following them as they change, and
// leaves Ingresses of other classes alone. Against the protocol-faithful API server
// double, through @kubernetes/client-node (test/interop/kube-ingress.test.ts does
// the same against a real kube-apiserver).
import {
  CoreV1Api,
  NetworkingV1Api,
  type KubeConfig,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../../../pilot/main.ts';
import { KubeApiServerDouble } from '../../../support/kube/api-server.ts';

let apiServer: KubeApiServerDouble;
let kc: KubeConfig;
let pilot: RunningPilot;
const warnings: string[] = [];

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function statusOf(name: string): Promise<string> {
  const ing = await kc
    .makeApiClient(NetworkingV1Api)
    .readNamespacedIngress({ name, namespace: 'default' });
  return JSON.stringify(ing.status?.loadBalancer?.ingress ?? []);
}

async function setGatewayAddress(ip: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
  });
  svc.status = { loadBalancer: { ingress: [{ ip }, { hostname: 'lb.example.com' }] } };
  await core.replaceNamespacedServiceStatus({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    body: svc,
  });
}

const ingressBody = (name: string, className: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default' },
  spec: {
    ingressClassName: className,
    rules: [
      {
        host: `${name}.example.com`,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'web', port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
});

beforeAll(async () => {
  apiServer = await KubeApiServerDouble.start();
  kc = apiServer.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'istio-system' } } });
  const gatewayService: V1Service = {
    metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
    spec: {
      type: 'LoadBalancer',
      selector: { istio: 'ingressgateway' },
      ports: [{ name: 'http2', port: 80, targetPort: 8080 as never }],
      externalIPs: ['198.51.100.7'],
    },
  };
  await core.createNamespacedService({ namespace: 'istio-system', body: gatewayService });
  await setGatewayAddress('192.0.2.10');
  const net = kc.makeApiClient(NetworkingV1Api);
  await net.createNamespacedIngress({ namespace: 'default', body: ingressBody('ours', 'petrel') });
  await net.createNamespacedIngress({ namespace: 'default', body: ingressBody('theirs', 'nginx') });
  pilot = await startPilot({
    kube: true,
    kubeConfig: kc,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
    log: {
      debug: () => {},
      info: () => {},
      warn: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
    },
  });
});

afterAll(async () => {
  await pilot?.stop();
  await apiServer?.close();
});

describe('Ingress status in kube mode', () => {
  it("writes the gateway Service's load balancer addresses and external IPs to the Ingresses it serves", async () => {
    const want = JSON.stringify([
      { ip: '192.0.2.10' },
      { ip: '198.51.100.7' },
      { hostname: 'lb.example.com' },
    ]);
    await eventually('the status of ingress ours', async () =>
      (await statusOf('ours')) === want ? true : undefined,
    );
    expect(await statusOf('theirs')).toBe('[]');
    expect(warnings).toEqual([]);
  });

  it('follows the gateway Service when its address changes', async () => {
    await setGatewayAddress('192.0.2.99');
    await eventually('the new address', async () =>
      (await statusOf('ours')).includes('192.0.2.99') ? true : undefined,
    );
    expect(await statusOf('ours')).not.toContain('192.0.2.10');
  });

  it('writes the status of an Ingress created later', async () => {
    await kc
      .makeApiClient(NetworkingV1Api)
      .createNamespacedIngress({ namespace: 'default', body: ingressBody('later', 'petrel') });
    await eventually('the status of ingress later', async () =>
      (await statusOf('later')).includes('192.0.2.99') ? true : undefined,
    );
  });
});
