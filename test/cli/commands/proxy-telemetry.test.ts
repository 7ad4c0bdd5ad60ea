// `petrel proxy`'s telemetry wiring: its flags (one precise line per bad value) and
// what attachTelemetry plugs in — cluster metadata for destination_service (and
// its refresh on a CDS update), endpoint metadata for the peer when the server
// sends none, TCP connections counted when they open, and the admin's
// /stats/prometheus rendering istio_* next to envoy_*.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachTelemetry,
  telemetryConfigFromFlags,
  type ProxyTelemetry,
} from '../../../cli/commands/proxy-telemetry.ts';
import { startAgent, type Agent } from '../../../sidecar/agent/agent.ts';
import { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';
import { parsePrometheus, scrape, type Sample } from '../../support/mesh/two-hop-telemetry.ts';
import { httpBackend, send, type Backend } from '../../sidecar/proxy/support/backends.ts';
import {
  apply,
  configure,
  httpListener,
  routeConfig,
  staticCluster,
  tcpListener,
  toCluster,
  TypeUrl,
  vhost,
} from '../../sidecar/proxy/support/envoy.ts';

describe('telemetry flags', () => {
  it("defaults to Istio's: stats on 15090, no access log, no tracing", () => {
    expect(telemetryConfigFromFlags({}, {})).toEqual({
      statsPort: 15090,
      accessLog: undefined,
      tracing: undefined,
      appMetrics: undefined,
    });
  });

  it('takes - as stdout, encodings in any case, sampling and both propagation formats', () => {
    const c = telemetryConfigFromFlags(
      {
        'access-log': '-',
        'access-log-encoding': 'json',
        'tracing-endpoint': 'http://otel:4318/v1/traces',
        'tracing-sampling': '12.5',
        'tracing-propagation': 'b3, W3C',
      },
      { ISTIO_PROMETHEUS_ANNOTATIONS: '{"scrape":"true","port":"9100"}' },
    );
    expect(c.accessLog).toEqual({ path: '/dev/stdout', encoding: 'JSON' });
    expect(c.tracing).toEqual({
      endpoint: 'http://otel:4318/v1/traces',
      samplingPercent: 12.5,
      propagation: ['b3', 'w3c'],
    });
    expect(c.appMetrics).toEqual({ port: 9100, path: '/metrics', host: '127.0.0.1' });
  });

  it.each([
    [{ 'stats-port': '70000' }, {}, '--stats-port 70000: must be a port number 0..65535'],
    [{ 'access-log-encoding': 'JSON' }, {}, '--access-log-encoding: needs --access-log'],
    [
      { 'access-log': '/tmp/x', 'access-log-encoding': 'XML' },
      {},
      '--access-log-encoding XML: must be TEXT or JSON',
    ],
    [{ 'tracing-sampling': '5' }, {}, '--tracing-sampling: needs --tracing-endpoint'],
    [
      { 'tracing-endpoint': 'jaeger:4318' },
      {},
      '--tracing-endpoint jaeger:4318: want an http:// or https:// OTLP endpoint',
    ],
    [
      { 'tracing-endpoint': 'http://j/v1/traces', 'tracing-sampling': '101' },
      {},
      '--tracing-sampling 101: must be a percentage 0..100',
    ],
    [
      { 'tracing-endpoint': 'http://j/v1/traces', 'tracing-propagation': 'w3c,zipkin' },
      {},
      '--tracing-propagation w3c,zipkin: "zipkin" is not w3c or b3',
    ],
    [{}, { ISTIO_PROMETHEUS_ANNOTATIONS: '{scrape' }, /^ISTIO_PROMETHEUS_ANNOTATIONS: not JSON \(/],
  ])('rejects %j %j in one line', (flags, env, message) => {
    expect(() => telemetryConfigFromFlags(flags, env)).toThrow(message);
  });
});

describe('attachTelemetry on a data plane', () => {
  let backend: Backend;
  let tcpServer: net.Server;
  let dataPlane: ProxyDataPlane;
  let agent: Agent;
  let wired: ProxyTelemetry;
  const port = (listener: string) => dataPlane.listenerAddress(listener)!.port;

  const cluster = (servicesHost: string, backendPort: number) =>
    staticCluster('backend-pool', [['127.0.0.1', backendPort]], {
      // A name that says nothing: destination_service can only come from the metadata.
      metadata: {
        filter_metadata: {
          istio: {
            services: [{ host: servicesHost, name: servicesHost.split('.')[0], namespace: 'prod' }],
          },
        },
      },
      load_assignment: {
        cluster_name: 'backend-pool',
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: '127.0.0.1', port_value: backendPort } },
                },
                metadata: {
                  filter_metadata: { istio: { workload: 'backend-v2;prod;backend;v2;east' } },
                },
              },
            ],
          },
        ],
      },
    });

  const dbPool = () =>
    staticCluster('db-pool', [['127.0.0.1', (tcpServer.address() as net.AddressInfo).port]]);

  beforeAll(async () => {
    backend = await httpBackend('backend');
    tcpServer = net.createServer((s) =>
      s.on('error', () => {}).on('data', (d: Buffer) => s.write(d)),
    );
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    dataPlane = new ProxyDataPlane();
    // A real agent whose pilot never answers: the config below is applied directly.
    agent = await startAgent({
      xdsAddress: '127.0.0.1:9',
      dataPlane,
      identity: {
        role: 'sidecar',
        podName: 'client-1',
        namespace: 'default',
        ips: ['127.0.0.1'],
        labels: { app: 'client', version: 'v1' },
        workloadName: 'client',
      },
      adminPort: 0,
      statusPort: 0,
      healthPort: 0,
      probeHost: '127.0.0.1',
      handleSignals: false,
      exit: () => {},
      prometheus: (stats) => wired.telemetry.prometheus(stats),
    });
    wired = await attachTelemetry({
      dataPlane,
      agent,
      config: telemetryConfigFromFlags({ 'stats-port': '0' }, {}),
      startedAt: new Date(),
      statsHost: '127.0.0.1',
    });
    const outbound = { traffic_direction: 'OUTBOUND' };
    await configure(dataPlane, {
      clusters: [cluster('backend.prod.svc.cluster.local', backend.port), dbPool()],
      routes: [routeConfig('web', [vhost('all', ['*'], [toCluster('backend-pool')])])],
      listeners: [
        httpListener(
          'http',
          { rds: { route_config_name: 'web', config_source: { ads: {} } } },
          0,
          outbound,
        ),
        { ...tcpListener('tcp', { cluster: 'db-pool' }), ...outbound },
      ],
    });
  });

  afterAll(async () => {
    await wired?.close();
    await agent?.xds.close();
    await Promise.all([agent?.admin.close(), agent?.health.close(), agent?.status.close()]);
    dataPlane?.close();
    await backend?.close();
    tcpServer?.close();
  });

  const requests = (samples: Sample[], service: string) =>
    samples.find(
      (s) => s.name === 'istio_requests_total' && s.labels.destination_service === service,
    );

  it("labels the server side from the endpoint's istio.workload and the cluster's istio.services", async () => {
    for (let i = 0; i < 3; i++)
      expect((await send(`http://127.0.0.1:${port('http')}/x`)).status).toBe(200);
    const s = requests(
      await scrape(`http://127.0.0.1:${wired.stats.port}/stats/prometheus`),
      'backend.prod.svc.cluster.local',
    )!;
    expect(s.value).toBe(3);
    expect(s.labels).toMatchObject({
      reporter: 'source',
      source_workload: 'client',
      destination_workload: 'backend-v2',
      destination_workload_namespace: 'prod',
      destination_canonical_service: 'backend',
      destination_canonical_revision: 'v2',
      destination_cluster: 'east',
      destination_service_name: 'backend',
    });
  });

  it('follows a CDS update that changes the metadata behind a cluster name', async () => {
    // State of the world: the update carries every cluster.
    expect(
      await apply(dataPlane, TypeUrl.Cluster, [
        cluster('backend.other.svc.cluster.local', backend.port),
        dbPool(),
      ]),
    ).toEqual([]);
    expect((await send(`http://127.0.0.1:${port('http')}/y`)).status).toBe(200);
    const samples = await scrape(`http://127.0.0.1:${wired.stats.port}/stats/prometheus`);
    expect(requests(samples, 'backend.other.svc.cluster.local')?.value).toBe(1);
    expect(requests(samples, 'backend.prod.svc.cluster.local')?.value).toBe(3);
  });

  it('counts a TCP connection as opened once its upstream connects, and as closed when it closes', async () => {
    const s = net.connect(port('tcp'), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      s.on('data', () => resolve());
      s.on('close', () => reject(new Error('the proxy closed the connection')));
      s.write('ping');
    });
    const open = await scrape(`http://127.0.0.1:${wired.stats.port}/stats/prometheus`);
    expect(open.find((x) => x.name === 'istio_tcp_connections_opened_total')?.value).toBe(1);
    expect(open.find((x) => x.name === 'istio_tcp_connections_closed_total')?.value).toBe(0);
    s.destroy();
    let closed: number | undefined;
    for (let i = 0; i < 100 && closed !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      closed = (await scrape(`http://127.0.0.1:${wired.stats.port}/stats/prometheus`)).find(
        (x) => x.name === 'istio_tcp_connections_closed_total',
      )?.value;
    }
    expect(closed).toBe(1);
  });

  it("renders istio_* next to the agent's envoy_* stats on the admin's /stats/prometheus", async () => {
    const res = await fetch(`http://127.0.0.1:${agent.admin.port}/stats/prometheus`);
    const samples = parsePrometheus(await res.text());
    expect(samples.some((s) => s.name === 'istio_requests_total')).toBe(true);
    expect(samples.find((s) => s.name === 'envoy_control_plane_connected_state')?.value).toBe(0);
  });
});
