// End to end in Kubernetes mode: pilot --kube watches a (protocol-faithful) API
// server; objects created and patched through @kubernetes/client-node become xDS
// that a real proxyless gRPC client follows. The same path as file mode after
// pilot/config, which is the point: both sources fill one store.
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startEchoServer, type EchoServer } from '../support/echo/echo-server.ts';
import { proxylessEchoClient, type ProxylessEchoClient } from '../support/echo/proxyless-client.ts';
import { ECHO_ALL_TO_V3, ECHO_ROUTES, echoWorkloadsYaml } from '../support/echo/mesh-yaml.ts';
import { KubeApiServerDouble } from '../support/kube/api-server.ts';

let apiServer: KubeApiServerDouble;
let api: KubernetesObjectApi;
let pilot: RunningPilot;
const backends: EchoServer[] = [];
let echo: ProxylessEchoClient;

function objects(yaml: string): KubernetesObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as KubernetesObject);
}
beforeAll(async () => {
  apiServer = await KubeApiServerDouble.start();
  const kc = apiServer.kubeConfig();
  api = KubernetesObjectApi.makeApiClient(kc);
  for (const v of ['v1', 'v2', 'v3']) backends.push(await startEchoServer(`echo-${v}`));
  const yaml = echoWorkloadsYaml(
    'echo',
    7070,
    backends.map((b, i) => ({ version: `v${i + 1}`, port: b.port })),
  );
  for (const obj of [...objects(yaml), ...objects(ECHO_ROUTES)]) await api.create(obj);
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
  await apiServer?.close();
});

describe('pilot --kube', () => {
  it('serves routes built from objects read through the Kubernetes API', async () => {
    const counts = await echo.tally(100);
    expect(Object.keys(counts).sort()).toEqual(['echo-v1', 'echo-v3']);
  });

  it('follows a VirtualService replaced through the API', async () => {
    const [next] = objects(ECHO_ALL_TO_V3);
    const current = await api.read({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'echo', namespace: 'default' },
    });
    await api.replace({
      ...next!,
      metadata: { ...next!.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && (await echo.tally(5))['echo-v3'] !== 5)
      await new Promise((r) => setTimeout(r, 20));
    expect(await echo.tally(30)).toEqual({ 'echo-v3': 30 });
  });

  it('follows an endpoint removed through the API', async () => {
    await api.delete({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'echo-v3', namespace: 'default' },
    });
    const deadline = Date.now() + 3000;
    let last = '';
    while (Date.now() < deadline && (last = await echo.server()) === 'echo-v3')
      await new Promise((r) => setTimeout(r, 20));
    // v3 has no endpoints left: gRPC reports UNAVAILABLE (14) rather than reaching a deleted backend.
    expect(last).toBe('status:14');
  });
});
