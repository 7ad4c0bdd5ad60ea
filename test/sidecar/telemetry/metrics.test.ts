// Istio's standard metrics from recorded requests: names, types, label sets and
// order, fallbacks, Envoy's default buckets, and the /stats/prometheus text as a
// golden file (reviews-v1's sidecar serving productpage and calling ratings).
import { describe, expect, it } from 'vitest';
import type { Stat } from '../../../sidecar/admin/sources.ts';
import { IstioMetrics } from '../../../sidecar/telemetry/metrics.ts';
import { ENVOY_DEFAULT_BUCKETS } from '../../../sidecar/telemetry/prometheus-text.ts';
import {
  workloadFromNodeMetadata,
  type WorkloadInfo,
} from '../../../sidecar/telemetry/workload.ts';
import { compareGoldenText } from './support/golden-text.ts';
import { nodeMetadata, PRODUCTPAGE, record } from './support/records.ts';

const REVIEWS = workloadFromNodeMetadata(nodeMetadata('reviews', 'v1'));
const RATINGS: WorkloadInfo = {
  ...PRODUCTPAGE,
  instanceName: 'ratings-v1-1',
  workloadName: 'ratings-v1',
  canonicalService: 'ratings',
  app: 'ratings',
  serviceAccount: '',
};
const SA = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

const ISTIO_LABEL_ORDER = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_service_name',
  'destination_service_namespace',
  'destination_cluster',
];

function labelsOf(text: string, metric: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const body = line.slice(metric.length + 1, line.lastIndexOf('}'));
    const o: Record<string, string> = {};
    for (const m of body.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) o[m[1]!] = m[2]!;
    o.__value = line.slice(line.lastIndexOf(' ') + 1);
    out.push(o);
  }
  return out;
}

function scenario(): IstioMetrics {
  const m = new IstioMetrics({
    local: REVIEWS,
    istioVersion: '1.24.0',
    // What pilot writes in the inbound cluster's istio metadata.
    clusterService: (c) =>
      c === 'inbound|9080||'
        ? { host: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default' }
        : undefined,
    endpointWorkload: (cluster, host) =>
      cluster.includes('mysql') && host === '10.0.0.30:3306'
        ? 'mysql-v1;default;mysql;v1;Kubernetes'
        : undefined,
  });
  const inbound = {
    cluster: 'inbound|9080||',
    authority: 'reviews:9080',
    routeName: 'default',
    direction: 'inbound' as const,
  };
  const mtls = {
    peerPrincipal: SA('bookinfo-productpage'),
    localPrincipal: SA('bookinfo-reviews'),
  };
  m.record(
    record({ ...inbound, ...mtls, peer: PRODUCTPAGE, code: 200, duration: 3.7, bytesSent: 437 }),
  );
  m.record(
    record({ ...inbound, ...mtls, peer: PRODUCTPAGE, code: 200, duration: 12.2, bytesSent: 437 }),
  );
  m.record(
    record({
      ...inbound,
      code: 503,
      flags: 'UF',
      duration: 0.4,
      details: 'upstream_reset_before_response_started{connection_failure}',
    }),
  );
  m.record(
    record({
      cluster: 'outbound|9080||ratings.default.svc.cluster.local',
      authority: 'ratings:9080',
      routeName: 'ratings.default.svc.cluster.local:9080',
      peer: RATINGS,
      code: 200,
      duration: 1,
      bytesReceived: 0,
      bytesSent: 48,
    }),
  );
  m.record(
    record({
      protocol: 'HTTP/2',
      grpc: true,
      cluster: 'outbound|7070||echo.default.svc.cluster.local',
      authority: 'echo:7070',
      code: 200,
      grpcStatus: 14,
      duration: 2,
      bytesReceived: 12,
      bytesSent: 0,
    }),
  );
  m.record(
    record({
      cluster: 'PassthroughCluster',
      routeName: 'allow_any',
      authority: 'httpbin.org',
      code: 200,
      duration: 250,
      bytesSent: 9000,
    }),
  );
  m.record(
    record({
      protocol: 'TCP',
      cluster: 'outbound|3306||mysql.default.svc.cluster.local',
      upstreamHost: '10.0.0.30:3306',
      bytesReceived: 300,
      bytesSent: 1200,
      duration: 40,
    }),
  );
  const tcpIn = record({ protocol: 'TCP', cluster: 'inbound|3306||', direction: 'inbound' });
  m.tcpOpened(tcpIn);
  tcpIn.bytesReceived = 100;
  tcpIn.bytesSent = 10;
  m.tcpProgress(tcpIn);
  tcpIn.bytesReceived = 150;
  tcpIn.bytesSent = 25;
  m.record(tcpIn);
  return m;
}

const SERVER_STATS: Stat[] = [
  { name: 'server.state', value: 0, type: 'gauge' },
  { name: 'cluster_manager.cds.update_success', value: 2, type: 'counter' },
];

describe('Istio standard metrics', () => {
  it('renders the recorded requests as Envoy /stats/prometheus text (golden)', () => {
    compareGoldenText('stats-prometheus.txt', scenario().prometheusText(SERVER_STATS));
  });

  it('uses Istio metric names and types, counters before gauges before histograms', () => {
    const text = scenario().prometheusText(SERVER_STATS);
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(types).toEqual([
      'envoy_cluster_manager_cds_update_success counter',
      'istio_requests_total counter',
      'istio_tcp_connections_closed_total counter',
      'istio_tcp_connections_opened_total counter',
      'istio_tcp_received_bytes_total counter',
      'istio_tcp_sent_bytes_total counter',
      'envoy_server_state gauge',
      'istio_build gauge',
      'istio_request_bytes histogram',
      'istio_request_duration_milliseconds histogram',
      'istio_response_bytes histogram',
    ]);
  });

  it('puts the labels in the order of istio-proxy stats filter, HTTP suffix last', () => {
    const [first] = labelsOf(scenario().prometheusText(), 'istio_requests_total');
    const keys = Object.keys(first!).filter((k) => k !== '__value');
    expect(keys).toEqual([
      ...ISTIO_LABEL_ORDER,
      'request_protocol',
      'response_code',
      'grpc_response_status',
      'response_flags',
      'connection_security_policy',
    ]);
  });

  it('reports inbound as destination with the peer from metadata exchange and mTLS principals', () => {
    const rows = labelsOf(scenario().prometheusText(), 'istio_requests_total');
    const row = rows.find((r) => r.reporter === 'destination' && r.response_code === '200')!;
    expect(row).toMatchObject({
      source_workload: 'productpage-v1',
      source_canonical_service: 'productpage',
      source_canonical_revision: 'v1',
      source_workload_namespace: 'default',
      source_principal: SA('bookinfo-productpage'),
      source_app: 'productpage',
      source_version: 'v1',
      source_cluster: 'Kubernetes',
      destination_workload: 'reviews-v1',
      destination_principal: SA('bookinfo-reviews'),
      destination_service: 'reviews.default.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'default',
      request_protocol: 'http',
      grpc_response_status: '',
      response_flags: '-',
      connection_security_policy: 'mutual_tls',
      __value: '2',
    });
  });

  it('says unknown (and latest for the revision) for a peer it knows nothing about', () => {
    const rows = labelsOf(scenario().prometheusText(), 'istio_requests_total');
    const row = rows.find((r) => r.reporter === 'destination' && r.response_code === '503')!;
    expect(row).toMatchObject({
      source_workload: 'unknown',
      source_canonical_service: 'unknown',
      source_canonical_revision: 'latest',
      source_workload_namespace: 'unknown',
      source_principal: 'unknown',
      destination_principal: 'unknown',
      response_flags: 'UF',
      connection_security_policy: 'none',
    });
    const grpc = rows.find((r) => r.request_protocol === 'grpc')!;
    expect(grpc).toMatchObject({
      reporter: 'source',
      destination_workload: 'unknown',
      destination_service: 'echo.default.svc.cluster.local',
      destination_service_name: 'echo',
      grpc_response_status: '14',
      connection_security_policy: 'unknown',
    });
    const passthrough = rows.find((r) => r.destination_service === 'httpbin.org')!;
    expect(passthrough.destination_service_name).toBe('PassthroughCluster');
  });

  it('counts TCP opened, closed and bytes, with the endpoint metadata as the fallback peer', () => {
    const text = scenario().prometheusText();
    const sent = labelsOf(text, 'istio_tcp_sent_bytes_total');
    const out = sent.find((r) => r.reporter === 'source')!;
    expect(out).toMatchObject({
      destination_workload: 'mysql-v1',
      destination_canonical_service: 'mysql',
      request_protocol: 'tcp',
      __value: '1200',
    });
    expect(Object.keys(out).filter((k) => k !== '__value')).toEqual([
      ...ISTIO_LABEL_ORDER,
      'request_protocol',
      'response_flags',
      'connection_security_policy',
    ]);
    const inbound = sent.find((r) => r.reporter === 'destination')!;
    expect(inbound.__value).toBe('25');
    expect(
      labelsOf(text, 'istio_tcp_received_bytes_total').find((r) => r.reporter === 'destination')!
        .__value,
    ).toBe('150');
    for (const name of [
      'istio_tcp_connections_opened_total',
      'istio_tcp_connections_closed_total',
    ]) {
      expect(labelsOf(text, name).map((r) => r.__value)).toEqual(['1', '1']);
    }
  });

  it('uses Envoy default buckets for durations and sizes, counting whole milliseconds', () => {
    expect(ENVOY_DEFAULT_BUCKETS).toEqual([
      0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
      1800000, 3600000,
    ]);
    const text = scenario().prometheusText();
    const series = 'reporter="destination",source_workload="productpage-v1"';
    const line = (metric: string, le: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`${metric}_bucket{${series}`) && l.includes(`le="${le}"}`));
    expect(line('istio_request_duration_milliseconds', '1')).toMatch(/ 0$/);
    expect(line('istio_request_duration_milliseconds', '5')).toMatch(/ 1$/);
    expect(line('istio_request_duration_milliseconds', '25')).toMatch(/ 2$/);
    expect(line('istio_request_duration_milliseconds', '3600000')).toMatch(/ 2$/);
    expect(line('istio_response_bytes', '500')).toMatch(/ 2$/);
    expect(text).toContain(`istio_request_duration_milliseconds_sum{${series}`);
    expect(
      text
        .split('\n')
        .find((l) => l.startsWith(`istio_request_duration_milliseconds_sum{${series}`)),
    ).toMatch(/ 15$/);
  });

  it('falls back to the Host header for destination_service without cluster metadata, as Istio does', () => {
    const m = new IstioMetrics({ local: REVIEWS });
    m.record(
      record({
        cluster: 'inbound|9080||',
        direction: 'inbound',
        authority: 'reviews:9080',
        code: 200,
      }),
    );
    const [row] = labelsOf(m.prometheusText(), 'istio_requests_total');
    expect(row).toMatchObject({
      destination_service: 'reviews:9080',
      destination_service_name: 'reviews:9080',
    });
  });

  it('escapes label values taken from peers', () => {
    const m = new IstioMetrics({ local: REVIEWS });
    m.record(
      record({
        cluster: 'inbound|9080||',
        direction: 'inbound',
        code: 200,
        peer: { ...PRODUCTPAGE, workloadName: 'evil"\n{x="y' },
      }),
    );
    expect(m.prometheusText()).toContain('source_workload="evil\\"\\n{x=\\"y"');
  });
});
