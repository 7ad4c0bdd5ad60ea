// Plaintext HTTP to a port no Service declares, captured inbound by a real pod's
// iptables: pilot's virtualInbound sends it through the passthrough HCM (Istio's
// virtualInbound-catchall-http), so the proxy handles it as HTTP — the app sees a
// request id the HCM added, from 127.0.0.6 — and counts it in istio_requests_total
// against InboundPassthroughCluster, as Istio's sidecar does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../../../pilot/main.ts';
import { meshAppYaml } from '../../../support/pods/mesh-yaml.ts';
import {
  createPodNetwork,
  sweepStalePodNetworks,
  type PodNetwork,
} from '../../../support/pods/network.ts';
import { APP_PORT, podRequest, startPod, type RunningPod } from '../../../support/pods/pod.ts';
import { requireTools } from '../../../support/pods/run.ts';

let dir: string | undefined;
let network: PodNetwork | undefined;
let pilot: RunningPilot | undefined;
let pod: RunningPod | undefined;

beforeAll(async () => {
  await requireTools();
  await sweepStalePodNetworks();
  network = await createPodNetwork(['b']);
  dir = mkdtempSync(join(tmpdir(), 'petrel-inbound-passthrough-'));
  // The Service declares 9090 only: the app's real port 8080 is undeclared (passthrough).
  writeFileSync(
    join(dir, 'b.yaml'),
    meshAppYaml({
      app: 'b',
      version: 'v1',
      podName: 'b-v1',
      podIp: network.pod('b').ip,
      clusterIp: '10.96.50.21',
      servicePort: 80,
      targetPort: 9090,
      serviceAccount: 'b',
    }),
  );
  pilot = await startPilot({
    configDir: dir,
    host: network.hostIp,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  pod = await startPod({
    endpoint: network.pod('b'),
    podName: 'b-v1',
    namespace: 'default',
    labels: { app: 'b', version: 'v1' },
    serviceAccount: 'b',
    xdsAddress: `${network.hostIp}:${pilot.xdsPort}`,
  });
}, 60_000);

afterAll(async () => {
  await pod?.stop().catch(() => {});
  await pilot?.stop().catch(() => {});
  await network?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('inbound plaintext HTTP to an undeclared port', () => {
  it('goes through the passthrough HCM to the app and counts as an HTTP request', async () => {
    const res = await fetch(`http://${network!.pod('b').ip}:${APP_PORT}/undeclared`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as {
      remoteAddress: string;
      url: string;
      headers: Record<string, string>;
    };
    expect(seen.url).toBe('/undeclared');
    expect(seen.remoteAddress).toBe('127.0.0.6');
    // Added by the HTTP connection manager: a TCP passthrough would not touch the request.
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const metrics = await podRequest(network!.pod('b').netns, {
      url: 'http://127.0.0.1:15090/stats/prometheus',
    });
    const line = metrics.body
      .split('\n')
      .find(
        (l) =>
          l.startsWith('istio_requests_total{') &&
          l.includes('reporter="destination"') &&
          l.includes('destination_service_name="InboundPassthroughCluster"'),
      );
    expect(
      line,
      metrics.body
        .split('\n')
        .filter((l) => l.startsWith('istio_requests_total'))
        .join('\n'),
    ).toBeDefined();
    expect(line).toContain('response_code="200"');
  });
});
