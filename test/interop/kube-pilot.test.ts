// pilot --kube against a real kube-apiserver: a Service, Pods whose status says
// Running and Ready (there is no kubelet, so the test writes the status a kubelet
// would), the EndpointSlices the real kube-controller-manager makes from them,
// and a DestinationRule and VirtualService validated by the real CRD schemas
// become xDS that a real proxyless gRPC client (@grpc/grpc-js-xds) follows —
// including an edit and an endpoint that goes away. test/pilot/kube-mode.e2e.test.ts
// runs the same scenario against the protocol-faithful API server double.
//
// EndpointSlice validation refuses loopback addresses, so the echo backends
// listen on this machine's first non-loopback IPv4 address (pod IP of every pod).
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startEchoServer, type EchoServer } from '../support/echo/echo-server.ts';
import { proxylessEchoClient, type ProxylessEchoClient } from '../support/echo/proxyless-client.ts';
import { ECHO_ALL_TO_V3, ECHO_ROUTES, echoWorkloadsYaml } from '../support/echo/mesh-yaml.ts';
import { startKubeCluster, type KubeCluster } from './kube/cluster.ts';
import { createAll, eventually, installCrds, parseObjects } from './kube/objects.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = 'interop-node';
const VERSIONS = ['v1', 'v2', 'v3'];

let cluster: KubeCluster;
let kc: KubeConfig;
let core: CoreV1Api;
let pilot: RunningPilot;
let echo: ProxylessEchoClient;
const backends: EchoServer[] = [];

function hostIpv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error(
    'kube-pilot interop: this machine has no non-loopback IPv4 address, and EndpointSlices may not hold loopback ones',
  );
}

/** Writes what a kubelet would once the pod's containers run: Running, Ready, with an IP. */
async function markRunning(name: string, ip: string): Promise<void> {
  const current = await core.readNamespacedPod({ name, namespace: 'default' });
  const now = new Date();
  current.status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: ip,
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
  };
  await core.replaceNamespacedPodStatus({ name, namespace: 'default', body: current });
}

async function echoSliceEndpoints(): Promise<
  Array<{ address: string; pod: string; port: number }>
> {
  const list = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace: 'default',
    labelSelector: 'kubernetes.io/service-name=echo',
  });
  return list.items.flatMap((s) =>
    (s.endpoints ?? []).map((e) => ({
      address: e.addresses[0] ?? '',
      pod: e.targetRef?.name ?? '',
      port: s.ports?.[0]?.port ?? 0,
    })),
  );
}

beforeAll(async () => {
  const ip = hostIpv4();
  cluster = await startKubeCluster();
  kc = cluster.kubeConfig;
  core = kc.makeApiClient(CoreV1Api);
  await installCrds(kc, parseObjects(readFileSync(join(REPO, 'crds/crd-all.gen.yaml'), 'utf8')));
  for (const v of VERSIONS) backends.push(await startEchoServer(`echo-${v}`, ip));

  // The double's scenario minus what only a controller or kubelet writes: the
  // EndpointSlices come from kube-controller-manager, the pod status from markRunning.
  const workloads = parseObjects(
    echoWorkloadsYaml(
      'echo',
      7070,
      backends.map((b, i) => ({ version: VERSIONS[i]!, port: b.port, host: ip })),
    ),
  )
    .filter((o) => o.kind !== 'EndpointSlice')
    .map((o) =>
      o.kind === 'Pod'
        ? { ...o, spec: { ...(o as V1Pod).spec, nodeName: NODE }, status: undefined }
        : o,
    ) as KubernetesObject[];
  await createAll(kc, [
    { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'echo', namespace: 'default' } },
    ...workloads,
    ...parseObjects(ECHO_ROUTES),
  ]);
  for (const v of VERSIONS) await markRunning(`echo-${v}`, ip);
  await eventually('the EndpointSlice controller to publish three echo endpoints', async () =>
    (await echoSliceEndpoints()).length === 3 ? true : undefined,
  );

  pilot = await startPilot({
    kube: true,
    kubeConfig: kc,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  echo = proxylessEchoClient(pilot.xdsPort);
});

afterAll(async () => {
  echo?.close();
  await pilot?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await cluster?.stop();
});

describe('pilot --kube against a real kube-apiserver', () => {
  it('reads EndpointSlices that kube-controller-manager made from the pods', async () => {
    const endpoints = await echoSliceEndpoints();
    expect(endpoints.map((e) => `${e.pod}:${e.port}`).sort()).toEqual(
      backends.map((b) => `${b.name}:${b.port}`).sort(),
    );
  });

  it('finds every kind it watches served once crds/crd-all.gen.yaml is installed, and every object valid', () => {
    // A kind without a CRD in crds/ shows here as "not served by the API server".
    expect(pilot.diagnostics()).toEqual([]);
  });

  it('serves routes built from the Service, its EndpointSlices and the Istio objects', async () => {
    const counts = await echo.tally(100);
    expect(Object.keys(counts).sort()).toEqual(['echo-v1', 'echo-v3']);
    expect(await echo.tally(5, { 'end-user': 'jason' })).toEqual({ 'echo-v2': 5 });
  });

  it('follows a VirtualService replaced through the API server', async () => {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const [next] = parseObjects(ECHO_ALL_TO_V3);
    const current = await api.read({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'echo', namespace: 'default' },
    });
    await api.replace({
      ...next!,
      metadata: { ...next!.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
    await eventually(
      'calls to follow the edit',
      async () => ((await echo.tally(5))['echo-v3'] === 5 ? true : undefined),
      10_000,
    );
    expect(await echo.tally(30)).toEqual({ 'echo-v3': 30 });
  });

  it('follows a pod deleted through the API server, via the EndpointSlice controller', async () => {
    await core.deleteNamespacedPod({
      name: 'echo-v3',
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    let last = '';
    await eventually(
      'the v3 endpoint to leave xDS',
      async () => ((last = await echo.server()) === 'echo-v3' ? undefined : true),
      10_000,
    );
    // Pilot may drop v3 as soon as it sees the Pod go (its labels select the subset),
    // before the EndpointSlice controller rewrites the slice: wait for the slice too.
    await eventually(
      'the EndpointSlice controller to drop the pod',
      async () => {
        const pods = (await echoSliceEndpoints()).map((e) => e.pod).sort();
        return pods.join() === 'echo-v1,echo-v2' ? true : undefined;
      },
      10_000,
    );
    expect(await echo.server()).toBe('status:14');
    // v3 has no endpoints left: gRPC reports UNAVAILABLE (14) rather than reaching a deleted backend.
    expect(last).toBe('status:14');
  });
});
