// Telemetry wired into the proxy, end to end: a real pilot, Petrel's gateway and a
// sidecar (two hops, so peer metadata is exchanged for real), real HTTP traffic.
// Each proxy's stats port is scraped and Istio's labels checked one by one on both
// reporters; both access logs are read back; both proxies export their spans to a
// real OTLP/HTTP receiver and the sidecar's span is the gateway span's child.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVOY_DEFAULT_BUCKETS } from '../../sidecar/telemetry/prometheus-text.ts';
import {
  scrape,
  startTwoHopMesh,
  WEB_HOST,
  WEB_SERVICE_PORT,
  type Sample,
  type TwoHopMesh,
} from '../support/mesh/two-hop-telemetry.ts';
import { send } from './proxy/support/backends.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  service: string;
}

const POD_IP = '127.0.71.12';
const OUTBOUND_WEB = `outbound|${WEB_SERVICE_PORT}||${WEB_HOST}`;
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

let mesh: TwoHopMesh;
let receiver: Server;
const spans: OtlpSpan[] = [];
/** x-request-id → what the client got back. */
const answers = new Map<
  string,
  { status: number; body: string; headers: Record<string, unknown> }
>();

async function get(
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown>; id: string }> {
  const id = crypto.randomUUID();
  const r = await send(`${mesh.gatewayUrl}${path}`, {
    headers: { 'x-request-id': id, 'user-agent': 'telemetry-e2e' },
  });
  answers.set(id, r);
  return { ...r, id };
}

function only(samples: Sample[], name: string, labels: Record<string, string>): Sample {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1)
    throw new Error(
      `${found.length} samples of ${name} with ${JSON.stringify(labels)}; have:\n${samples
        .filter((s) => s.name === name)
        .map((s) => JSON.stringify(s.labels))
        .join('\n')}`,
    );
  return found[0]!;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource.attributes.find(
          (a: { key: string }) => a.key === 'service.name',
        )?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  mesh = await startTwoHopMesh({ podIp: POD_IP, tracingEndpoint: endpoint });
  for (let i = 0; i < 5; i++) expect((await get(`/app/ok/${i}`)).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await get('/app/fail')).status).toBe(500);
  expect((await get('/nowhere')).status).toBe(404);
  // Spans and log lines are batched: push them out now.
  await Promise.all([
    mesh.gateway.wired.telemetry.tracing!.flush(),
    mesh.sidecar.wired.telemetry.tracing!.flush(),
  ]);
  mesh.gateway.wired.telemetry.accessLog!.flush();
  mesh.sidecar.wired.telemetry.accessLog!.flush();
}, 30_000);

afterAll(async () => {
  await mesh?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('telemetry on a gateway → sidecar → app path configured by pilot', () => {
  it("counts the gateway's requests as reporter=source, with the sidecar's workload learned from its response", async () => {
    const samples = await scrape(mesh.gateway.statsUrl);
    const common = {
      reporter: 'source',
      source_workload: 'ingress-gw',
      source_workload_namespace: 'default',
      source_canonical_service: 'istio-ingressgateway',
      source_app: 'istio-ingressgateway',
      source_cluster: 'Kubernetes',
      destination_workload: 'web-v1',
      destination_workload_namespace: 'default',
      destination_app: 'web',
      destination_version: 'v1',
      destination_canonical_service: 'web',
      destination_canonical_revision: 'v1',
      destination_service: WEB_HOST,
      destination_service_name: 'web',
      destination_service_namespace: 'default',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      response_flags: '-',
      connection_security_policy: 'unknown',
    };
    expect(only(samples, 'istio_requests_total', { ...common, response_code: '200' }).value).toBe(
      5,
    );
    expect(only(samples, 'istio_requests_total', { ...common, response_code: '500' }).value).toBe(
      2,
    );
    // No route: answered by the gateway itself, nobody on the other side.
    const nr = only(samples, 'istio_requests_total', { reporter: 'source', response_code: '404' });
    expect(nr.labels).toMatchObject({
      response_flags: 'NR',
      destination_workload: 'unknown',
      source_workload: 'ingress-gw',
    });
    // The server stats sit next to istio_* on the stats port, as on Envoy's.
    expect(
      samples.some((s) => s.name === 'envoy_cluster_manager_cds_update_success' && s.value >= 1),
    ).toBe(true);
    expect(only(samples, 'istio_build', {}).labels).toEqual({ component: 'proxy', tag: '1.24.0' });
  });

  it('counts the same requests at the sidecar as reporter=destination, with the gateway as source from its request', async () => {
    const samples = await scrape(mesh.sidecar.statsUrl);
    const common = {
      reporter: 'destination',
      source_workload: 'ingress-gw',
      source_workload_namespace: 'default',
      source_canonical_service: 'istio-ingressgateway',
      source_canonical_revision: 'latest',
      source_app: 'istio-ingressgateway',
      source_principal: 'unknown',
      destination_workload: 'web-v1',
      destination_workload_namespace: 'default',
      destination_canonical_service: 'web',
      destination_canonical_revision: 'v1',
      destination_service: WEB_HOST,
      destination_service_name: 'web',
      destination_service_namespace: 'default',
      request_protocol: 'http',
      response_flags: '-',
      connection_security_policy: 'none',
    };
    expect(only(samples, 'istio_requests_total', { ...common, response_code: '200' }).value).toBe(
      5,
    );
    expect(only(samples, 'istio_requests_total', { ...common, response_code: '500' }).value).toBe(
      2,
    );
    expect(
      samples
        .filter((s) => s.name === 'istio_requests_total')
        .map((s) => s.labels.response_code)
        .sort(),
    ).toEqual(['200', '500']);
    expect(
      samples.filter((s) => s.name === 'istio_requests_total' && s.labels.reporter === 'source'),
    ).toEqual([]);
  });

  it('fills the duration histogram: Envoy buckets, cumulative, +Inf equal to the count', async () => {
    for (const proxy of [mesh.gateway, mesh.sidecar]) {
      const samples = await scrape(proxy.statsUrl);
      const of200 = (s: Sample) => s.labels.response_code === '200';
      const buckets = samples.filter(
        (s) => s.name === 'istio_request_duration_milliseconds_bucket' && of200(s),
      );
      expect(buckets.map((b) => b.labels.le)).toEqual([
        ...ENVOY_DEFAULT_BUCKETS.map(String),
        '+Inf',
      ]);
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.value).toBe(5);
      expect(
        samples.find((s) => s.name === 'istio_request_duration_milliseconds_count' && of200(s))!
          .value,
      ).toBe(5);
      const sum = samples.find(
        (s) => s.name === 'istio_request_duration_milliseconds_sum' && of200(s),
      )!.value;
      expect(sum).toBeGreaterThanOrEqual(0);
      // Response sizes: the app's JSON bodies, at least one byte each.
      expect(
        samples.find((s) => s.name === 'istio_response_bytes_sum' && of200(s))!.value,
      ).toBeGreaterThan(5);
    }
  });

  it("writes Istio's text access log at the gateway and its JSON one at the sidecar, one line per request", () => {
    const gw = readFileSync(mesh.gateway.accessLogPath, 'utf8').trimEnd().split('\n');
    expect(gw).toHaveLength(8);
    const [okId] = [...answers].find(([, r]) => r.status === 200)!;
    const ok = gw.find((l) => l.includes(okId))!;
    expect(ok).toMatch(
      /^\[\d{4}-\d\d-\d\dT[^\]]+Z\] "GET \/app\/ok\/\d HTTP\/1\.1" 200 - via_upstream - "-" 0 \d+ \d+ \d+ /,
    );
    expect(ok).toContain(`"telemetry-e2e" "${okId}" "127.0.0.1:`);
    expect(ok).toContain(`"${POD_IP}:${mesh.appPort}" ${OUTBOUND_WEB} `);
    expect(gw.find((l) => l.includes('/nowhere'))).toMatch(/" 404 NR route_not_found /);

    const side = readFileSync(mesh.sidecar.accessLogPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(side).toHaveLength(7);
    const same = side.find((e) => e.request_id === okId)!;
    expect(same).toMatchObject({
      method: 'GET',
      response_code: 200,
      upstream_cluster: `inbound|${mesh.appPort}||`,
      upstream_host: `127.0.0.1:${mesh.appPort}`,
      downstream_local_address: `${POD_IP}:${mesh.appPort}`,
      user_agent: 'telemetry-e2e',
      x_forwarded_for: expect.any(String),
    });
    expect(side.filter((e) => e.response_code === 500)).toHaveLength(2);
  });

  it('exports a client span at the gateway and its child server span at the sidecar, in one trace per request', () => {
    const byRequest = (id: string) =>
      spans.filter((s) =>
        s.attributes.some((a) => a.key === 'guid:x-request-id' && a.value.stringValue === id),
      );
    const routed = [...answers].filter(([, r]) => r.status !== 404);
    expect(routed).toHaveLength(7);
    for (const [id, answer] of routed) {
      const pair = byRequest(id);
      const client = pair.find((s) => s.kind === SPAN_KIND_CLIENT)!;
      const server = pair.find((s) => s.kind === SPAN_KIND_SERVER)!;
      expect(pair).toHaveLength(2);
      expect(client.service).toBe('istio-ingressgateway.default');
      expect(server.service).toBe('web.default');
      expect(server.traceId).toBe(client.traceId);
      expect(server.parentSpanId).toBe(client.spanId);
      expect(client.parentSpanId || undefined).toBeUndefined();
      // The app got the sidecar's span as its parent, in both formats asked for.
      const seen = JSON.parse(answer.body) as { headers: Record<string, string> };
      expect(seen.headers.traceparent).toBe(`00-${server.traceId}-${server.spanId}-01`);
      expect(seen.headers['x-b3-spanid']).toBe(server.spanId);
    }
    // The unrouted request has its span at the gateway alone.
    const [nrId] = [...answers].find(([, r]) => r.status === 404)!;
    expect(byRequest(nrId).map((s) => s.kind)).toEqual([SPAN_KIND_CLIENT]);
  });

  it('keeps the metadata exchange headers inside the mesh: the app and the client never see them', () => {
    for (const [, answer] of answers) {
      expect(
        Object.keys(answer.headers).filter((h) => h.startsWith('x-envoy-peer-metadata')),
      ).toEqual([]);
      if (answer.status === 404) continue;
      const seen = JSON.parse(answer.body) as { headers: Record<string, string> };
      expect(
        Object.keys(seen.headers).filter((h) => h.startsWith('x-envoy-peer-metadata')),
      ).toEqual([]);
    }
  });
});
