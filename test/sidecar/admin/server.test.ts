// The admin API over real HTTP against a real xDS client fed by the scripted ADS
// server: Envoy's paths, methods and output shapes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListeningServer } from '../../../sidecar/agent/http-listen.ts';
import { LogRegistry } from '../../../sidecar/agent/log.ts';
import { startAdminServer } from '../../../sidecar/admin/server.ts';
import { serverStateOf, type AdminSources } from '../../../sidecar/admin/sources.ts';
import { assignment, edsCluster, httpListener, secret } from '../agent/support/fixtures.ts';
import {
  bringUpSotw,
  CDS,
  EDS,
  LDS,
  RATINGS,
  RDS,
  REVIEWS,
  SDS,
  startHarness,
  type Harness,
} from '../agent/support/harness.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
let h: Harness;
let admin: ListeningServer;
let quits: number;
let draining: boolean;
let logs: LogRegistry;

beforeEach(async () => {
  h = await startHarness();
  quits = 0;
  draining = false;
  logs = new LogRegistry({ sink: () => {} });
  logs.get('xds');
  logs.get('admin');
  const sources: AdminSources = {
    xds: h.client,
    serverState: () => serverStateOf(h.client.phase(), draining),
    startedAt: new Date(),
    logs,
    quit: () => quits++,
    adminAddress: { address: '127.0.0.1', port: 15000 },
    dataPlane: {
      hostRuntime: (cluster, address) =>
        cluster === REVIEWS && address === '10.0.0.2:9080'
          ? { stats: { rq_total: 7, cx_active: 2 }, healthFlags: ['failed_outlier_check'] }
          : undefined,
      stats: () => [
        { name: 'http.inbound_0.0.0.0_9080.downstream_rq_total', value: 3, type: 'counter' },
      ],
    },
  };
  admin = await startAdminServer({ sources, port: 0 });
});

afterEach(async () => {
  await admin.close();
  await h.close();
});

async function call(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${admin.port}${path}`, { method });
  return { status: res.status, body: await res.text() };
}

async function json(path: string): Promise<any> {
  const res = await call(path);
  expect(res.status).toBe(200);
  return JSON.parse(res.body);
}

describe('admin server', () => {
  it('listens on loopback only and reports PRE_INITIALIZING, then LIVE, then DRAINING on /ready', async () => {
    expect(admin.host).toBe('127.0.0.1');
    expect(await call('/ready')).toEqual({ status: 503, body: 'PRE_INITIALIZING\n' });
    await bringUpSotw(h);
    expect(await call('/ready')).toEqual({ status: 200, body: 'LIVE\n' });
    const info = await json('/server_info');
    expect(info).toMatchObject({
      state: 'LIVE',
      node: { id: expect.stringMatching(/^sidecar~10\.1\.0\.5~/) },
    });
    expect(info.uptime_current_epoch).toMatch(/^\d+s$/);
    draining = true;
    expect(await call('/ready')).toEqual({ status: 503, body: 'DRAINING\n' });
  });

  it("dumps config in Envoy's ConfigDump shape, in Envoy's order", async () => {
    await bringUpSotw(h);
    const dump = await json('/config_dump');
    expect(dump.configs.map((c: any) => c['@type'])).toEqual(
      [
        'BootstrapConfigDump',
        'ClustersConfigDump',
        'ListenersConfigDump',
        'ScopedRoutesConfigDump',
        'RoutesConfigDump',
        'SecretsConfigDump',
      ].map((t) => ADMIN + t),
    );
    const [bootstrap, clusters, listeners, , routes] = dump.configs;
    expect(bootstrap.bootstrap.node.metadata.NAMESPACE).toBe('default');
    expect(bootstrap.bootstrap.dynamic_resources.ads_config.api_type).toBe('GRPC');
    expect(clusters.version_info).toBe('c1');
    expect(clusters.dynamic_active_clusters).toHaveLength(2);
    expect(clusters.dynamic_active_clusters[0]).toMatchObject({
      version_info: 'c1',
      cluster: { '@type': CDS, name: RATINGS, type: 'EDS' },
      client_status: 'ACKED',
    });
    expect(new Date(clusters.dynamic_active_clusters[0].last_updated).toISOString()).toBe(
      clusters.dynamic_active_clusters[0].last_updated,
    );
    expect(listeners).toMatchObject({
      version_info: 'l1',
      dynamic_listeners: [{ name: '0.0.0.0_9080', active_state: { version_info: 'l1' } }],
    });
    expect(
      listeners.dynamic_listeners[0].active_state.listener.address.socket_address.port_value,
    ).toBe(9080);
    expect(routes.dynamic_route_configs[0]).toMatchObject({
      version_info: 'r1',
      route_config: { name: '9080' },
    });

    const withEds = await json('/config_dump?include_eds');
    expect(withEds.configs[2]['@type']).toBe(`${ADMIN}EndpointsConfigDump`);
    expect(
      withEds.configs[2].dynamic_endpoint_configs.map((e: any) => e.endpoint_config.cluster_name),
    ).toEqual([RATINGS, REVIEWS].sort());
  });

  it('selects with ?resource=, ?name_regex= and ?mask=, and answers 404 for a resource field that does not exist', async () => {
    await bringUpSotw(h);
    const active = await json('/config_dump?resource=dynamic_active_clusters&name_regex=reviews');
    expect(active.configs).toHaveLength(1);
    expect(active.configs[0]).toMatchObject({
      '@type': `${ADMIN}ClustersConfigDump.DynamicCluster`,
      cluster: { name: REVIEWS },
    });
    const masked = await json('/config_dump?resource=dynamic_active_clusters&mask=cluster.name');
    expect(masked.configs.map((c: any) => c.cluster)).toEqual([
      { name: RATINGS },
      { name: REVIEWS },
    ]);
    expect((await call('/config_dump?resource=nope')).status).toBe(404);
    expect((await call('/config_dump?name_regex=(')).status).toBe(400);
  });

  it('shows a NACKed cluster with its error_state and redacts secret private keys', async () => {
    await bringUpSotw(h);
    h.server.sendSotw(CDS, 'c2', [
      { ...edsCluster(REVIEWS, { sdsSecret: 'default' }), connect_timeout: '-1s' },
      edsCluster(RATINGS),
    ]);
    await h.server.until((r) => r.typeUrl === CDS && r.errorDetail !== undefined);
    const clusters = (await json('/config_dump')).configs[1];
    const reviews = clusters.dynamic_active_clusters.find((c: any) => c.cluster?.name === REVIEWS);
    expect(reviews.client_status).toBe('NACKED');
    expect(reviews.error_state).toMatchObject({
      version_info: 'c2',
      failed_configuration: { connect_timeout: '-1s' },
    });
    expect(reviews.error_state.details).toContain('connect_timeout');

    h.server.sendSotw(CDS, 'c3', [
      edsCluster(REVIEWS, { sdsSecret: 'default' }),
      edsCluster(RATINGS),
    ]);
    await h.server.until((r) => r.typeUrl === SDS);
    h.server.sendSotw(SDS, 's1', [secret('default')]);
    await h.server.until((r) => r.typeUrl === SDS && r.versionInfo === 's1');
    const secrets = (await json('/config_dump')).configs.at(-1);
    expect(secrets.dynamic_active_secrets[0]).toMatchObject({
      name: 'default',
      version_info: 's1',
    });
    expect(secrets.dynamic_active_secrets[0].secret.tls_certificate.private_key).toEqual({
      inline_string: '[redacted]',
    });
    expect(
      secrets.dynamic_active_secrets[0].secret.tls_certificate.certificate_chain.inline_string,
    ).toContain('BEGIN CERTIFICATE');
  });

  it('lists clusters per host as Envoy prints them, and as envoy.admin.v3.Clusters JSON', async () => {
    await bringUpSotw(h);
    const text = (await call('/clusters')).body.split('\n');
    expect(text[0]).toBe('version_info::c1');
    expect(text).toContain(`${REVIEWS}::default_priority::max_connections::1024`);
    expect(text).toContain(`${REVIEWS}::added_via_api::true`);
    expect(text).toContain(`${REVIEWS}::10.0.0.1:9080::health_flags::healthy`);
    expect(text).toContain(`${REVIEWS}::10.0.0.2:9080::health_flags::/failed_outlier_check`);
    expect(text).toContain(`${REVIEWS}::10.0.0.2:9080::rq_total::7`);
    expect(text).toContain(`${REVIEWS}::10.0.0.1:9080::zone::z1`);
    const body = await json('/clusters?format=json');
    const reviews = body.cluster_statuses.find((c: any) => c.name === REVIEWS);
    expect(reviews.added_via_api).toBe(true);
    expect(reviews.host_statuses.map((hs: any) => hs.address.socket_address)).toEqual([
      { address: '10.0.0.1', port_value: 9080 },
      { address: '10.0.0.2', port_value: 9080 },
    ]);
    expect(reviews.host_statuses[1].stats).toContainEqual({
      name: 'cx_active',
      type: 'GAUGE',
      value: '2',
    });
    expect(reviews.host_statuses[1].health_status).toEqual({
      eds_health_status: 'UNKNOWN',
      failed_outlier_check: true,
    });
  });

  it('lists listeners and stats, with a regex filter, JSON and Prometheus forms', async () => {
    await bringUpSotw(h);
    expect((await call('/listeners')).body).toBe('0.0.0.0_9080::0.0.0.0:9080\n');
    expect(await json('/listeners?format=json')).toEqual({
      listener_statuses: [
        {
          name: '0.0.0.0_9080',
          local_address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
        },
      ],
    });
    const stats = (await call('/stats')).body;
    expect(stats).toContain('cluster_manager.cds.update_success: 1\n');
    expect(stats).toContain('listener_manager.lds.update_success: 1\n');
    expect(stats).toContain('control_plane.connected_state: 1\n');
    expect(stats).toContain('http.inbound_0.0.0.0_9080.downstream_rq_total: 3\n');
    expect(
      (await call('/stats?filter=^listener_manager')).body
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('listener_manager')),
    ).toBe(true);
    expect((await json('/stats?format=json')).stats).toContainEqual({
      name: 'server.live',
      value: 1,
    });
    expect((await call('/stats/prometheus')).body).toContain(
      '# TYPE envoy_cluster_manager_cds_update_success counter\nenvoy_cluster_manager_cds_update_success{} 1\n',
    );
  });

  it('changes log levels only on POST, as Envoy', async () => {
    expect((await call('/logging?level=debug')).status).toBe(400);
    expect(logs.levels()).toEqual([
      ['admin', 'info'],
      ['xds', 'info'],
    ]);
    const all = await call('/logging?level=debug', 'POST');
    expect(all).toEqual({ status: 200, body: 'active loggers:\n  admin: debug\n  xds: debug\n' });
    expect((await call('/logging?xds=error', 'POST')).body).toContain('xds: error');
    expect((await call('/logging?xds=loud', 'POST')).status).toBe(400);
    expect((await call('/logging?nobody=info', 'POST')).status).toBe(400);
  });

  it('starts the drain on POST /quitquitquit and ignores a GET', async () => {
    expect((await call('/quitquitquit')).status).toBe(400);
    expect(quits).toBe(0);
    expect(await call('/quitquitquit', 'POST')).toEqual({ status: 200, body: 'OK\n' });
    expect(quits).toBe(1);
    expect((await call('/nope')).status).toBe(404);
    expect((await call('/help')).body).toContain('/config_dump');
  });

  it('shows clusters waiting for endpoints as warming and listeners waiting for routes in warming_state', async () => {
    await bringUpSotw(h);
    const DETAILS = 'outbound|9080||details.default.svc.cluster.local';
    h.server.sendSotw(CDS, 'c2', [edsCluster(REVIEWS), edsCluster(RATINGS), edsCluster(DETAILS)]);
    await h.server.until((r) => r.typeUrl === EDS && r.resourceNames.includes(DETAILS));
    const clusters = (await json('/config_dump')).configs[1];
    expect(clusters.dynamic_warming_clusters.map((c: any) => c.cluster.name)).toEqual([DETAILS]);
    expect(clusters.dynamic_active_clusters).toHaveLength(2);
    expect((await call('/stats?filter=warming_clusters')).body).toBe(
      'cluster_manager.warming_clusters: 1\n',
    );
    h.server.sendSotw(EDS, 'e2', [assignment(DETAILS, ['10.0.2.1'], 9080)]);
    await h.server.until((r) => r.typeUrl === EDS && r.versionInfo === 'e2');
    h.server.sendSotw(LDS, 'l2', [httpListener(9080, '9080'), httpListener(9081, '9081')]);
    await h.server.until((r) => r.typeUrl === RDS && r.resourceNames.includes('9081'));
    const listeners = (await json('/config_dump')).configs[2].dynamic_listeners;
    expect(listeners.find((l: any) => l.name === '0.0.0.0_9081')).toHaveProperty('warming_state');
    expect(listeners.find((l: any) => l.name === '0.0.0.0_9080')).toHaveProperty('active_state');
  });
});
