// End to end in real network namespaces: two pods on a host bridge, each with an
// app, Istio's capture rules (`petrel iptables` with the injector's flags) and
// `petrel proxy --role sidecar` as uid 1337, configured by pilot on the host.
// A client in pod A calls b's ClusterIP, which nothing routes: only capture into
// sidecar A (outbound), then capture into sidecar B (inbound), can get it to b's app.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { meshAppYaml, type MeshApp } from '../support/pods/mesh-yaml.ts';
import {
  createPodNetwork,
  sweepStalePodNetworks,
  type PodNetwork,
} from '../support/pods/network.ts';
import {
  PROXY_UID,
  adminGet,
  captureCounters,
  podRequest,
  startPod,
  type RunningPod,
} from '../support/pods/pod.ts';
import { requireTools } from '../support/pods/run.ts';

const B_CLUSTER_IP = '10.96.50.11';
const B_HOST = 'b.default.svc.cluster.local';
const B_OUTBOUND = `outbound|80||${B_HOST}`;

const VIRTUAL_SERVICE_B = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: b, namespace: default }
spec:
  hosts: [b]
  http:
    - match: [{ headers: { end-user: { exact: jason } } }]
      headers: { request: { set: { x-mesh-route: jason } } }
      route: [{ destination: { host: b } }]
    - headers:
        request: { set: { x-mesh-route: default } }
        response: { set: { x-mesh: petrel } }
      route: [{ destination: { host: b } }]
`;

let dir: string | undefined;
let network: PodNetwork | undefined;
let pilot: RunningPilot | undefined;
const pods: RunningPod[] = [];
const apps = new Map<string, MeshApp>();

interface AppAnswer {
  name: string;
  remoteAddress: string;
  url: string;
  headers: Record<string, string>;
}

/** `cluster::ip:port::stat::value` lines of a sidecar's /clusters, as numbers by `cluster::ip:port::stat`. */
async function clusterStats(netns: string): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const line of (await adminGet(netns, '/clusters')).split('\n')) {
    const m = /^(.+::[^:]+:\d+::(?:rq_total|cx_total))::(\d+)$/.exec(line);
    if (m) stats.set(m[1]!, Number(m[2]));
  }
  return stats;
}

interface SyncStatus {
  proxy: string;
  state: string;
  types: { type: string; ackedVersion?: string }[];
}

async function pilotSyncz(): Promise<SyncStatus[]> {
  const res = await fetch(`http://${network!.hostIp}:${pilot!.monitoringPort}/debug/syncz`);
  return (await res.json()) as SyncStatus[];
}

interface Named {
  name: string;
  version: string | undefined;
}

/** Dynamic listeners and clusters of an Envoy admin ConfigDump, with the version each came in. */
function configDump(text: string): { listeners: Named[]; clusters: Named[] } {
  type Section = Record<string, unknown> & { '@type': string };
  const configs = (JSON.parse(text) as { configs: Section[] }).configs;
  const section = (kind: string): Record<string, unknown> =>
    configs.find((c) => c['@type'].endsWith(`.${kind}`)) ?? {};
  const listeners = (section('ListenersConfigDump').dynamic_listeners ?? []) as {
    name: string;
    active_state?: { version_info?: string };
  }[];
  const clusters = (section('ClustersConfigDump').dynamic_active_clusters ?? []) as {
    version_info?: string;
    cluster: { name: string };
  }[];
  return {
    listeners: listeners.map((l) => ({ name: l.name, version: l.active_state?.version_info })),
    clusters: clusters.map((c) => ({ name: c.cluster.name, version: c.version_info })),
  };
}

function stat(stats: Map<string, number>, cluster: string, stat: string): number {
  const values = [...stats].filter(
    ([k]) => k.startsWith(`${cluster}::`) && k.endsWith(`::${stat}`),
  );
  if (values.length === 0)
    throw new Error(`no ${stat} for ${cluster} in /clusters: ${[...stats.keys()].join(' ')}`);
  return values.reduce((sum, [, v]) => sum + v, 0);
}

beforeAll(async () => {
  await requireTools();
  await sweepStalePodNetworks();
  network = await createPodNetwork(['a', 'b']);
  dir = mkdtempSync(join(tmpdir(), 'petrel-pod-mesh-'));
  for (const [app, clusterIp] of [
    ['a', '10.96.50.10'],
    ['b', B_CLUSTER_IP],
  ] as const) {
    const spec: MeshApp = {
      app,
      version: 'v1',
      podName: `${app}-v1`,
      podIp: network.pod(app).ip,
      clusterIp,
      servicePort: 80,
      targetPort: 8080,
      serviceAccount: app,
    };
    apps.set(app, spec);
    writeFileSync(join(dir, `${app}.yaml`), meshAppYaml(spec));
  }
  writeFileSync(join(dir, 'vs-b.yaml'), VIRTUAL_SERVICE_B);
  // Pilot listens on the host's bridge address only: reachable from the pods, from nowhere else.
  pilot = await startPilot({
    configDir: dir,
    host: network.hostIp,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  const xdsAddress = `${network.hostIp}:${pilot.xdsPort}`;
  const started = await Promise.allSettled(
    [...apps.values()].map((a) =>
      startPod({
        endpoint: network!.pod(a.app),
        podName: a.podName,
        namespace: 'default',
        labels: { app: a.app, version: a.version },
        serviceAccount: a.serviceAccount,
        xdsAddress,
      }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') pods.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}, 60_000);

afterAll(async () => {
  // Each step runs even when an earlier one failed: no process, namespace or bridge is left behind.
  await Promise.allSettled(pods.map((p) => p.stop()));
  await pilot?.stop().catch(() => {});
  await network?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('two pods in network namespaces, each with capture and a sidecar, configured by pilot', () => {
  it("gets b's answer for a call from pod A to b's unrouted ClusterIP, through sidecar A then sidecar B", async () => {
    const { a, b } = { a: network!.pod('a').netns, b: network!.pod('b').netns };
    const before = { a: await captureCounters(a), b: await captureCounters(b) };
    const r = await podRequest(a, { url: `http://${B_CLUSTER_IP}:80/hello`, host: B_HOST });
    expect(r.status, r.body).toBe(200);
    expect(r.headers['x-mesh']).toBe('petrel');
    const seen = JSON.parse(r.body) as AppAnswer;
    expect(seen.name).toBe('b-v1');
    expect(seen.url).toBe('/hello');
    expect(seen.headers.host).toBe(B_HOST);
    // Sidecar B forwards inbound traffic from 127.0.0.6; a direct connection would show pod A's IP.
    expect(seen.remoteAddress).toBe('127.0.0.6');
    expect(seen.headers['x-mesh-route']).toBe('default');
    expect(seen.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-envoy-attempt-count']).toBe('1');
    // One connection captured outbound in pod A (the client's) and one inbound in pod B (sidecar A's).
    const after = { a: await captureCounters(a), b: await captureCounters(b) };
    expect(after.a.outbound - before.a.outbound).toBe(1);
    expect(after.b.inbound - before.b.inbound).toBe(1);
  });

  it("applies the VirtualService's header match to calls by b's short name too", async () => {
    const r = await podRequest(network!.pod('a').netns, {
      url: `http://${B_CLUSTER_IP}/`,
      host: 'b',
      headers: { 'end-user': 'jason' },
    });
    expect(r.status, r.body).toBe(200);
    const seen = JSON.parse(r.body) as AppAnswer;
    expect(seen.name).toBe('b-v1');
    expect(seen.headers['x-mesh-route']).toBe('jason');
    expect(r.headers['x-mesh']).toBeUndefined();
  });

  it("shows pilot's listeners and clusters, at the versions pilot saw acked, in both sidecars' /config_dump", async () => {
    const syncz = await pilotSyncz();
    for (const [pod, listeners, clusters] of [
      ['a', ['virtualOutbound', 'virtualInbound', '0.0.0.0_80'], [B_OUTBOUND, 'inbound|8080||']],
      [
        'b',
        ['virtualOutbound', 'virtualInbound', '0.0.0.0_80'],
        ['inbound|8080||', 'PassthroughCluster'],
      ],
    ] as const) {
      const dump = configDump(await adminGet(network!.pod(pod).netns, '/config_dump'));
      expect(dump.listeners.map((l) => l.name)).toEqual(expect.arrayContaining([...listeners]));
      expect(dump.clusters.map((c) => c.name)).toEqual(expect.arrayContaining([...clusters]));
      const acked = syncz.find((p) => p.proxy.includes(`~${pod}-v1.default~`))!.types;
      const version = (type: string) => acked.find((t) => t.type === type)?.ackedVersion;
      expect(version('lds')).toBeTruthy();
      for (const l of dump.listeners) expect(l.version, l.name).toBe(version('lds'));
      for (const c of dump.clusters) expect(c.version, c.name).toBe(version('cds'));
    }
  });

  it("counts the calls in sidecar A's outbound cluster and sidecar B's inbound cluster", async () => {
    const { a, b } = { a: network!.pod('a').netns, b: network!.pod('b').netns };
    const before = { a: await clusterStats(a), b: await clusterStats(b) };
    for (let i = 0; i < 3; i++) {
      const r = await podRequest(a, { url: `http://${B_CLUSTER_IP}/`, host: B_HOST });
      expect(r.status, r.body).toBe(200);
    }
    const after = { a: await clusterStats(a), b: await clusterStats(b) };
    const delta = (side: 'a' | 'b', cluster: string) =>
      stat(after[side], cluster, 'rq_total') - stat(before[side], cluster, 'rq_total');
    expect(delta('a', B_OUTBOUND)).toBe(3);
    expect(delta('b', 'inbound|8080||')).toBe(3);
    // The endpoint sidecar A used is pod B's own address, from pilot's EDS.
    expect([...after.a.keys()]).toContain(`${B_OUTBOUND}::${network!.pod('b').ip}:8080::rq_total`);
  });

  it('reports both sidecars SYNCED in pilot /debug/syncz, with no config problems or proxy errors', async () => {
    const syncz = await pilotSyncz();
    const byProxy = Object.fromEntries(syncz.map((s) => [s.proxy, s.state]));
    expect(byProxy).toEqual({
      [`sidecar~${network!.pod('a').ip}~a-v1.default~default.svc.cluster.local`]: 'SYNCED',
      [`sidecar~${network!.pod('b').ip}~b-v1.default~default.svc.cluster.local`]: 'SYNCED',
    });
    expect(pilot!.diagnostics()).toEqual([]);
    // No listener failed to bind and no config was rejected in either sidecar.
    for (const p of pods) expect(p.proxy.output()).not.toMatch(/\t(error|warn)\t/);
  });

  it("does not capture uid 1337's traffic in pod A: it reaches pod B without sidecar A", async () => {
    const { a, b } = { a: network!.pod('a').netns, b: network!.pod('b').netns };
    const before = { a: await captureCounters(a), b: await captureCounters(b) };
    const r = await podRequest(a, {
      url: `http://${network!.pod('b').ip}:8080/direct`,
      uid: PROXY_UID,
    });
    expect(r.status, r.body).toBe(200);
    const seen = JSON.parse(r.body) as AppAnswer;
    expect(seen.name).toBe('b-v1');
    // Captured inbound in pod B all the same.
    expect(seen.remoteAddress).toBe('127.0.0.6');
    const after = { a: await captureCounters(a), b: await captureCounters(b) };
    expect(after.a.outbound - before.a.outbound).toBe(0);
    expect(after.a.proxyUid - before.a.proxyUid).toBeGreaterThanOrEqual(1);
    expect(after.b.inbound - before.b.inbound).toBe(1);
  });

  it("captures a call from the host (outside the mesh) to pod B's IP:8080 inbound and answers it in plaintext", async () => {
    const counters = await captureCounters(network!.pod('b').netns);
    const before = await clusterStats(network!.pod('b').netns);
    const res = await fetch(`http://${network!.pod('b').ip}:8080/from-host`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as AppAnswer;
    expect(seen.name).toBe('b-v1');
    expect(seen.url).toBe('/from-host');
    expect(seen.remoteAddress).toBe('127.0.0.6');
    const after = await clusterStats(network!.pod('b').netns);
    expect(
      stat(after, 'inbound|8080||', 'rq_total') - stat(before, 'inbound|8080||', 'rq_total'),
    ).toBe(1);
    expect((await captureCounters(network!.pod('b').netns)).inbound - counters.inbound).toBe(1);
  });
});
