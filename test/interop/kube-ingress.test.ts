// pilot --kube serves Kubernetes Ingresses created through a real kube-apiserver
// (validated by its own Ingress and IngressClass rules): an Ingress of class
// petrel becomes the gateway's listeners and routes over ADS, as Istio's ingress
// controller makes them, and its status gets the ingress gateway Service's load
// balancer address; an Ingress of another class gets neither.
// test/pilot/ingress.e2e.test.ts serves the same kind of Ingress with real traffic.
import {
  CoreV1Api,
  KubernetesObjectApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startKubeCluster, type KubeCluster } from './kube/cluster.ts';
import { createAll, eventually, parseObjects, refusal } from './kube/objects.ts';
import { probeXds, rdsNames, type ProbeNode } from './support/ads-probe.ts';

let cluster: KubeCluster;
let kc: KubeConfig;
let pilot: RunningPilot;

const GATEWAY: ProbeNode = {
  id: 'router~10.244.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local',
  metadata: {
    NAMESPACE: 'istio-system',
    CLUSTER_ID: 'Kubernetes',
    INSTANCE_IPS: '10.244.0.9',
    LABELS: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  },
};

const OBJECTS = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: petrel }
spec: { controller: istio.io/ingress-controller }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: istio-ingressgateway, namespace: istio-system }
spec:
  type: LoadBalancer
  selector: { istio: ingressgateway }
  ports:
    - { name: http2, port: 80, targetPort: 8080 }
    - { name: https, port: 443, targetPort: 8443 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 8000, targetPort: 8000 }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: shop }
spec:
  ingressClassName: petrel
  tls: [{ hosts: [shop.example.com], secretName: shop-cert }]
  rules:
    - host: shop.example.com
      http:
        paths:
          - { path: /api, pathType: Prefix, backend: { service: { name: web, port: { name: http } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: elsewhere, namespace: shop }
spec:
  ingressClassName: nginx
  rules:
    - host: nginx.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 8000 } } } }
`;

async function ingressStatus(name: string): Promise<unknown[]> {
  const ing = await kc
    .makeApiClient(NetworkingV1Api)
    .readNamespacedIngress({ name, namespace: 'shop' });
  return ing.status?.loadBalancer?.ingress ?? [];
}

beforeAll(async () => {
  // No Istio CRDs: pilot reports those kinds as not served and retries; Ingresses need none.
  cluster = await startKubeCluster({ controllerManager: false });
  kc = cluster.kubeConfig;
  await createAll(kc, parseObjects(OBJECTS) as KubernetesObject[]);
  // No cloud controller here: write the load balancer address a cloud would.
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
  });
  svc.status = { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } };
  await core.replaceNamespacedServiceStatus({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    body: svc,
  });
  pilot = await startPilot({
    kube: true,
    kubeConfig: kc,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
});

afterAll(async () => {
  await pilot?.stop();
  await cluster?.stop();
});

describe('Kubernetes Ingress through a real kube-apiserver', () => {
  it('is validated by the API server as pilot validates it', async () => {
    const shop = parseObjects(OBJECTS).find(
      (o) => o.kind === 'Ingress' && o.metadata?.name === 'shop',
    )!;
    const bad = structuredClone(shop) as any;
    bad.metadata.name = 'bad';
    bad.spec.rules[0].http.paths[0].pathType = 'Regex';
    const api = KubernetesObjectApi.makeApiClient(kc);
    expect(await refusal(() => api.create(bad))).toMatch(
      /spec\.rules\[0\]\.http\.paths\[0\]\.pathType: Unsupported value: "Regex"/,
    );
  });

  it("becomes the gateway's listeners and routes: 80 and 443 bound on the Service's target ports", async () => {
    const xds = await eventually('the Ingress routes in xDS', async () => {
      const snap = await probeXds(`127.0.0.1:${pilot.xdsPort}`, GATEWAY, { style: 'envoy' });
      return snap.routes.has('http.80') ? snap : undefined;
    });
    expect([...xds.listeners.keys()].sort()).toEqual(['0.0.0.0_8080', '0.0.0.0_8443']);
    expect(rdsNames(xds.listeners.values()).sort()).toEqual([
      'http.80',
      'https.443.https-443-ingress-shop-shop-0.shop-istio-autogenerated-k8s-ingress-shop.istio-system',
    ]);
    const hosts = (xds.routes.get('http.80') as any).virtual_hosts;
    expect(hosts.map((h: any) => h.name)).toEqual(['shop.example.com:80']);
    const [route] = hosts[0].routes;
    expect(route.route.cluster).toBe('outbound|8000||web.shop.svc.cluster.local');
  });

  it("writes the gateway Service's address to the status of the Ingress it serves, only", async () => {
    await eventually('the Ingress status', async () =>
      (await ingressStatus('shop')).length > 0 ? true : undefined,
    );
    expect(await ingressStatus('shop')).toEqual([{ ip: '192.0.2.10' }]);
    expect(await ingressStatus('elsewhere')).toEqual([]);
  });
});
