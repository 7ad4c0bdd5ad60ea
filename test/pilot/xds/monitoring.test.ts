import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMonitoring } from '../../../pilot/xds/monitoring.ts';
import type { MonitoringServer } from '../../../pilot/xds/monitoring.ts';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  FULL,
  LISTENER_TYPE,
  SIDECAR_ID,
  memoryLogger,
  node,
  testGenerators,
  testPush,
  waitFor,
} from './fixtures.ts';
import type { TestPush } from './fixtures.ts';

let server: XdsServer<TestPush>;
let monitoring: MonitoringServer;
let stream: AdsStream;
let base: string;
let ackedNonce: string;

beforeAll(async () => {
  server = new XdsServer<TestPush>({
    generators: testGenerators().generators,
    log: memoryLogger(),
  });
  const port = await server.listen();
  monitoring = await startMonitoring(server, { port: 0 });
  base = `http://127.0.0.1:${monitoring.port}`;
  server.push(testPush('v1'), FULL);
  await server.flush();
  stream = AdsStream.sotw(port);
  stream.send({ node: node(SIDECAR_ID, { ISTIO_VERSION: '1.24.0' }), type_url: CLUSTER_TYPE });
  const cds = await stream.next();
  ackedNonce = cds.nonce;
  stream.send({ type_url: CLUSTER_TYPE, version_info: 'v1', response_nonce: cds.nonce });
  stream.send({ type_url: LISTENER_TYPE });
  const lds = await stream.next();
  // Leave LDS un-ACKed: it must show as STALE.
  expect(lds.type_url).toBe(LISTENER_TYPE);
  await waitFor(
    () => server.syncz()[0]?.types.find((t) => t.typeUrl === CLUSTER_TYPE)?.state === 'SYNCED',
    'CDS ACK',
  );
});

afterAll(async () => {
  stream.close();
  await monitoring.close();
  await server.stop();
});

describe('monitoring endpoints', () => {
  test('/debug/syncz lists each proxy with per-type versions, nonces and sync state', async () => {
    const res = await fetch(`${base}/debug/syncz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as any[];
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({
      proxy: SIDECAR_ID,
      transport: 'sotw',
      proxyType: 'sidecar',
      proxyVersion: '1.24.0',
      state: 'STALE',
    });
    const cds = body[0].types.find((t: { type: string }) => t.type === 'cds');
    expect(cds).toMatchObject({
      state: 'SYNCED',
      sentVersion: 'v1',
      ackedVersion: 'v1',
      ackedNonce,
      resources: 1,
      wildcard: true,
    });
    const lds = body[0].types.find((t: { type: string }) => t.type === 'lds');
    expect(lds.state).toBe('STALE');
    expect(lds.ackedNonce).toBeUndefined();
  });

  test('/debug/config_dump shows the resources last sent, decoded, in Envoy config_dump form', async () => {
    for (const id of [SIDECAR_ID, 'productpage-v1-abc.default']) {
      const res = await fetch(`${base}/debug/config_dump?proxyID=${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      const dump = (await res.json()) as any;
      expect(dump.proxy).toBe(SIDECAR_ID);
      const clusters = dump.configs.find(
        (c: Record<string, string>) =>
          c['@type'] === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      );
      expect(clusters.dynamic_active_clusters[0]).toMatchObject({
        version_info: 'v1',
        cluster: {
          '@type': CLUSTER_TYPE,
          name: 'outbound|80||a.default.svc.cluster.local',
          type: 'EDS',
          connect_timeout: '1s',
        },
      });
      const listeners = dump.configs.find(
        (c: Record<string, string>) =>
          c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      );
      expect(listeners.dynamic_listeners[0].name).toBe('0.0.0.0_80');
      expect(
        listeners.dynamic_listeners[0].active_state.listener.api_listener.api_listener['@type'],
      ).toContain('HttpConnectionManager');
    }
  });

  test('/debug/config_dump without proxyID is a 400, for an unknown proxy a 404', async () => {
    const missing = await fetch(`${base}/debug/config_dump`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error).toContain('proxyID');
    const unknown = await fetch(`${base}/debug/config_dump?proxyID=nobody.default`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error).toContain('nobody.default');
  });

  test('/metrics serves Prometheus text with Istio pilot metric names', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^pilot_xds_pushes\{type="cds"\} 1$/m);
    expect(text).toMatch(/^pilot_xds_pushes\{type="lds"\} 1$/m);
    expect(text).toMatch(/^pilot_xds\{version="1.24.0"\} 1$/m);
    expect(text).toContain('# TYPE pilot_proxy_convergence_time histogram');
    expect(text).toMatch(/^pilot_xds_push_time_count\{type="cds"\} 1$/m);
    expect(text).toContain('# TYPE pilot_total_xds_rejects counter');
    expect(text).toContain('# TYPE pilot_xds_config_size_bytes histogram');
  });

  test('an unknown path is a 404 naming the endpoints there are', async () => {
    const res = await fetch(`${base}/debug/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toContain('/debug/syncz');
  });
});
