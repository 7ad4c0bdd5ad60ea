// The injector and the agent agree on ISTIO_KUBE_APP_PROBERS: inject a pod whose
// app has HTTP and TCP probes (a named port among them), start a real agent with
// the environment the injector gave istio-proxy, and send the kubelet's rewritten
// probes to the agent's status port. The original probes must reach the app.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { afterEach, describe, expect, it } from 'vitest';
import { injectorConfig } from '../../../injector/config.ts';
import { injectPod } from '../../../injector/inject.ts';
import type { Container, Pod } from '../../../injector/pod-types.ts';
import { startAgent, type Agent } from '../../../sidecar/agent/agent.ts';
import { parseAppProbers } from '../../../sidecar/agent/app-probers.ts';
import { LogRegistry } from '../../../sidecar/agent/log.ts';
import { reviewsPod } from '../../injector/fixtures.ts';
import { ScriptedAdsServer } from './support/ads-server.ts';
import { RecordingDataPlane } from './support/recording-data-plane.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function injected(pod: Pod): Pod {
  const result = injectPod({ pod, namespace: 'bookinfo' }, injectorConfig({ proxyImage: 'p' }));
  expect(result.decision.inject, result.decision.reason).toBe(true);
  return fastJsonPatch.applyPatch(structuredClone(pod), result.patch as Operation[], true, false)
    .newDocument;
}

describe('injector → agent app probes', () => {
  it("runs the app's original probes when the kubelet calls the rewritten ones", async () => {
    const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
    const app = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      res.writeHead(req.url === '/ready' ? 200 : 500).end();
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const appPort = (app.address() as AddressInfo).port;

    const pod = reviewsPod();
    pod.spec.containers[0] = {
      ...pod.spec.containers[0]!,
      ports: [{ name: 'http', containerPort: appPort }],
      readinessProbe: {
        httpGet: { path: '/ready', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'k' }] },
        timeoutSeconds: 2,
      },
      livenessProbe: { tcpSocket: { port: appPort } },
    };
    const out = injected(pod);
    const proxy = out.spec.containers.find((c) => c.name === 'istio-proxy')!;
    const envValue = proxy.env!.find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS')!.value;

    const ads = await ScriptedAdsServer.start();
    cleanups.push(() => ads.stop());
    const agent: Agent = await startAgent({
      xdsAddress: ads.address,
      dataPlane: new RecordingDataPlane(),
      identity: { podName: 'reviews-v1-x', namespace: 'bookinfo', ips: ['127.0.0.1'], env: {} },
      adminPort: 0,
      statusPort: 0,
      healthPort: 0,
      probeHost: '127.0.0.1',
      logs: new LogRegistry({ sink: () => {} }),
      handleSignals: false,
      appProbers: parseAppProbers(envValue),
    });
    cleanups.push(async () => {
      await agent.xds.close();
      for (const s of [agent.admin, agent.health, agent.status]) await s.close();
    });

    // What the kubelet does with the rewritten probes (on the agent's real port, not 15020).
    const kubelet = async (container: Container, field: 'readinessProbe' | 'livenessProbe') => {
      const get = container[field]!.httpGet!;
      expect(get.port).toBe(15020);
      const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
      const res = await fetch(`http://127.0.0.1:${agent.status.port}${get.path}`, { headers });
      return res.status;
    };
    const rewritten = out.spec.containers.find((c) => c.name === 'reviews')!;
    expect(await kubelet(rewritten, 'readinessProbe')).toBe(200);
    expect(seen.map((s) => s.path)).toEqual(['/ready']);
    expect(seen[0]!.headers['x-probe']).toBe('k');
    expect(await kubelet(rewritten, 'livenessProbe')).toBe(200);

    await new Promise((r) => app.close(r));
    expect(await kubelet(rewritten, 'readinessProbe')).toBe(500);
    expect(await kubelet(rewritten, 'livenessProbe')).toBe(500);
  });
});
