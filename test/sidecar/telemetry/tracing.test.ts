// Tracing end to end against a real OTLP/HTTP receiver (node:http decoding the
// OTLP JSON the exporter posts): parent/child ids from traceparent and from B3,
// what is injected upstream, Envoy's span shape and tags, sampling 0% and 100%.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeaderMap } from '../../../sidecar/proxy/upstream/types.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import type { TracingOptions } from '../../../sidecar/telemetry/tracing.ts';
import { nodeId, nodeMetadata, record } from './support/records.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  status?: { code?: number };
}

let receiver: Server;
let url: string;
let posts: Array<{ path: string; type: string | undefined; spans: OtlpSpan[]; service: string }>;
const telemetries: Telemetry[] = [];

beforeEach(async () => {
  posts = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource.attributes.find(
          (a: { key: string }) => a.key === 'service.name',
        )?.value.stringValue;
        const spans = rs.scopeSpans.flatMap((ss: { spans: OtlpSpan[] }) => ss.spans);
        posts.push({ path: req.url ?? '', type: req.headers['content-type'], spans, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
});

afterEach(async () => {
  for (const t of telemetries.splice(0)) await t.close();
  await new Promise((r) => receiver.close(() => r(undefined)));
});

function tracer(tracing: Partial<TracingOptions>, app = 'reviews'): Telemetry {
  const t = new Telemetry({
    node: { id: nodeId(app, '10.0.0.5'), metadata: nodeMetadata(app, 'v1') },
    peerMetadata: false,
    tracing: { endpoint: url, scheduledDelayMillis: 60_000, ...tracing },
  });
  telemetries.push(t);
  return t;
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

function spans(): OtlpSpan[] {
  return posts.flatMap((p) => p.spans);
}

function attr(span: OtlpSpan, key: string): string | undefined {
  return span.attributes.find((a) => a.key === key)?.value.stringValue;
}

function traceparent(h: HeaderMap): { traceId: string; spanId: string; flags: string } {
  const [, traceId, spanId, flags] = String(h.traceparent).split('-');
  return { traceId: traceId!, spanId: spanId!, flags: flags! };
}

describe('tracing', () => {
  it('continues a W3C trace: a SERVER span child of the incoming span, its id sent on to the app', async () => {
    const t = tracer({ samplingPercent: 0 });
    const rec = record({
      direction: 'inbound',
      cluster: 'inbound|9080||',
      authority: 'reviews:9080',
      path: '/reviews/0?x=1',
      requestId: 'req-1',
      userAgent: 'curl/8',
      operationName: 'reviews.default.svc.cluster.local:9080/*',
      startTime: Date.now() - 20,
    });
    const headers: HeaderMap = { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'req-1' };
    t.onRequestHeaders(rec, headers);
    const sent = traceparent(headers);
    expect(sent.traceId).toBe(TRACE);
    expect(sent.spanId).not.toBe(PARENT);
    expect(sent.flags).toBe('01');
    Object.assign(rec, { responseCode: 200, duration: 12.5, bytesSent: 100 });
    t.onRequestComplete(rec);
    await t.tracing!.flush();

    expect(posts[0]).toMatchObject({
      path: '/v1/traces',
      type: 'application/json',
      service: 'reviews.default',
    });
    const [span] = spans();
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: sent.spanId,
      parentSpanId: PARENT,
      kind: 2,
      name: 'reviews.default.svc.cluster.local:9080/*',
    });
    expect(BigInt(span!.endTimeUnixNano) - BigInt(span!.startTimeUnixNano)).toBe(12_500_000n);
    expect(attr(span!, 'http.url')).toBe('http://reviews:9080/reviews/0?x=1');
    expect(attr(span!, 'http.status_code')).toBe('200');
    expect(attr(span!, 'guid:x-request-id')).toBe('req-1');
    expect(attr(span!, 'node_id')).toBe(nodeId('reviews', '10.0.0.5'));
    expect(attr(span!, 'istio.canonical_service')).toBe('reviews');
    expect(attr(span!, 'istio.canonical_revision')).toBe('v1');
    expect(attr(span!, 'istio.namespace')).toBe('default');
    expect(attr(span!, 'upstream_cluster')).toBe('inbound|9080||');
    expect(attr(span!, 'response_flags')).toBe('-');
    expect(attr(span!, 'component')).toBe('proxy');
  });

  it('continues a B3 trace (multi and single header) and injects both formats when configured', async () => {
    const t = tracer({ samplingPercent: 0, propagation: ['w3c', 'b3'] });
    const multi = record({
      direction: 'outbound',
      cluster: 'outbound|9080||ratings.default.svc.cluster.local',
      authority: 'ratings:9080',
      path: '/ratings/0',
    });
    const h1: HeaderMap = { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' };
    t.onRequestHeaders(multi, h1);
    expect(traceparent(h1)).toMatchObject({ traceId: TRACE, flags: '01' });
    expect(h1['x-b3-traceid']).toBe(TRACE);
    expect(h1['x-b3-spanid']).toBe(traceparent(h1).spanId);
    expect(h1['x-b3-sampled']).toBe('1');

    const single = record({
      direction: 'outbound',
      cluster: 'outbound|9080||ratings.default.svc.cluster.local',
      authority: 'ratings:9080',
      path: '/ratings/1',
    });
    const other = 'a'.repeat(32);
    const h2: HeaderMap = { b3: `${other}-${'b'.repeat(16)}-1` };
    t.onRequestHeaders(single, h2);
    for (const r of [multi, single]) {
      r.responseCode = 503;
      r.flags = 'UF';
      t.onRequestComplete(r);
    }
    await t.tracing!.flush();
    const got = spans();
    expect(got.map((s) => [s.traceId, s.parentSpanId, s.kind, s.name])).toEqual([
      [TRACE, PARENT, 3, 'ratings:9080/ratings/0'],
      [other, 'b'.repeat(16), 3, 'ratings:9080/ratings/1'],
    ]);
    expect(attr(got[0]!, 'error')).toBe('true');
    expect(got[0]!.status?.code).toBe(2);
  });

  it('keeps tracestate, leaves other traceparent versions to OpenTelemetry, and prefers W3C over B3', async () => {
    const t = tracer({ samplingPercent: 0 });
    const r1 = record({ direction: 'inbound', cluster: 'inbound|80||' });
    const h1: HeaderMap = {
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: 'congo=t61rcWkgMzE',
    };
    t.onRequestHeaders(r1, h1);
    expect(h1.tracestate).toBe('congo=t61rcWkgMzE');
    // A future version with extra fields is still understood by its first four fields.
    const r2 = record({ direction: 'inbound', cluster: 'inbound|80||' });
    const h2: HeaderMap = { traceparent: `01-${TRACE}-${PARENT}-01-what-comes-next` };
    t.onRequestHeaders(r2, h2);
    expect(traceparent(h2)).toMatchObject({ traceId: TRACE, flags: '01' });
    // Both present: traceparent wins.
    const r3 = record({ direction: 'inbound', cluster: 'inbound|80||' });
    const h3: HeaderMap = {
      traceparent: `00-${TRACE}-${PARENT}-01`,
      'x-b3-traceid': 'c'.repeat(32),
      'x-b3-spanid': 'd'.repeat(16),
      'x-b3-sampled': '1',
    };
    t.onRequestHeaders(r3, h3);
    for (const r of [r1, r2, r3]) t.onRequestComplete(r);
    await t.tracing!.flush();
    expect(spans().map((s) => [s.traceId, s.parentSpanId])).toEqual([
      [TRACE, PARENT],
      [TRACE, PARENT],
      [TRACE, PARENT],
    ]);
  });

  it('samples nothing at 0% without a parent, yet forwards a fresh unsampled context', async () => {
    const t = tracer({ samplingPercent: 0 });
    const headers: HeaderMap = {};
    for (let i = 0; i < 50; i++) {
      const rec = record({
        direction: 'outbound',
        cluster: 'outbound|80||a.default.svc.cluster.local',
      });
      t.onRequestHeaders(rec, headers);
      expect(rec.span).toBeUndefined();
      t.onRequestComplete(rec);
    }
    expect(traceparent(headers).flags).toBe('00');
    await t.tracing!.flush();
    expect(posts).toEqual([]);
  });

  it('samples every root request at 100% but honours a parent that said no', async () => {
    const t = tracer({ samplingPercent: 100 });
    for (let i = 0; i < 5; i++) {
      const rec = record({
        direction: 'outbound',
        cluster: 'outbound|80||a.default.svc.cluster.local',
        authority: 'a',
        path: `/${i}`,
      });
      const h: HeaderMap = {};
      t.onRequestHeaders(rec, h);
      expect(traceparent(h).flags).toBe('01');
      t.onRequestComplete(rec);
    }
    const declined = record({ direction: 'inbound', cluster: 'inbound|80||' });
    const h: HeaderMap = { traceparent: `00-${TRACE}-${PARENT}-00` };
    t.onRequestHeaders(declined, h);
    expect(traceparent(h)).toMatchObject({ traceId: TRACE, flags: '00' });
    t.onRequestComplete(declined);
    await t.tracing!.flush();
    const got = spans();
    expect(got).toHaveLength(5);
    expect(got.every((s) => s.parentSpanId === undefined || s.parentSpanId === '')).toBe(true);
    expect(new Set(got.map((s) => s.traceId)).size).toBe(5);
  });

  it('touches no header and exports nothing when tracing is off', async () => {
    const t = new Telemetry({
      node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
      peerMetadata: false,
    });
    telemetries.push(t);
    const rec = record({ direction: 'inbound', cluster: 'inbound|80||' });
    const h: HeaderMap = { traceparent: `00-${TRACE}-${PARENT}-01` };
    t.onRequestHeaders(rec, h);
    t.onRequestComplete(rec);
    expect(t.tracing).toBeUndefined();
    expect(h).toEqual({ traceparent: `00-${TRACE}-${PARENT}-01` });
    await new Promise((r) => setTimeout(r, 50));
    expect(posts).toEqual([]);
  });

  it('reports a collector that refuses spans once per run of failures', async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end('{"message":"no"}'));
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    try {
      const errors: string[] = [];
      const t = tracer({
        samplingPercent: 100,
        endpoint: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1/traces`,
        onError: (l) => errors.push(l),
      });
      for (let round = 0; round < 2; round++) {
        const rec = record({
          direction: 'outbound',
          cluster: 'outbound|80||a.default.svc.cluster.local',
        });
        t.onRequestHeaders(rec, {});
        t.onRequestComplete(rec);
        await t.tracing!.flush();
      }
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^exporting 1 spans: /);
    } finally {
      await new Promise((r) => refusing.close(() => r(undefined)));
    }
  });

  it('rejects a bad sampling percentage or endpoint with one line', () => {
    expect(() => tracer({ samplingPercent: 101 })).toThrow(
      /^tracing sampling: 101 is not a percentage in \[0, 100\]$/,
    );
    expect(() => tracer({ endpoint: 'not a url' })).toThrow(
      /^tracing endpoint "not a url" is not a URL$/,
    );
  });
});
