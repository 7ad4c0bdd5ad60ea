import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { httpBackend, send, type Backend } from '../support/backends.ts';
import {
  httpListener,
  ROUTER,
  routeConfig,
  startProxy,
  staticCluster,
  vhost,
} from '../support/envoy.ts';

type Obj = Record<string, unknown>;
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const CORS = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
const CORS_POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const hundred = (n: number): Obj => ({ numerator: n, denominator: 'HUNDRED' });

describe('fault and CORS filters', () => {
  let a: Backend;
  let dp: ProxyDataPlane;
  let url: (p?: string) => string;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    a = await httpBackend('a');
    const fault = (cfg: Obj): Obj => ({ 'envoy.filters.http.fault': { '@type': FAULT, ...cfg } });
    const p = await startProxy(
      {
        clusters: [staticCluster('a', [['127.0.0.1', a.port]])],
        routes: [
          routeConfig('80', [
            vhost(
              'v',
              ['*'],
              [
                {
                  match: { prefix: '/abort' },
                  route: { cluster: 'a' },
                  typed_per_filter_config: fault({
                    abort: { http_status: 503, percentage: hundred(100) },
                  }),
                },
                {
                  match: { prefix: '/half' },
                  route: { cluster: 'a' },
                  typed_per_filter_config: fault({
                    abort: { http_status: 500, percentage: hundred(50) },
                  }),
                },
                {
                  match: { prefix: '/grpc-abort' },
                  route: { cluster: 'a' },
                  typed_per_filter_config: fault({
                    abort: { grpc_status: 14, percentage: hundred(100) },
                  }),
                },
                {
                  match: { prefix: '/delay' },
                  route: { cluster: 'a' },
                  typed_per_filter_config: fault({
                    delay: { fixed_delay: '0.3s', percentage: hundred(100) },
                  }),
                },
                { match: { prefix: '/cors' }, route: { cluster: 'a' } },
                {
                  match: { prefix: '/nocors' },
                  route: { cluster: 'a' },
                  typed_per_filter_config: {
                    'envoy.filters.http.cors': {
                      '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
                      disabled: true,
                    },
                  },
                },
                { match: { prefix: '/' }, route: { cluster: 'a' } },
              ],
              {
                typed_per_filter_config: {
                  'envoy.filters.http.cors': {
                    '@type': CORS_POLICY,
                    allow_origin_string_match: [
                      { exact: 'https://app.example.com' },
                      { suffix: '.trusted.org' },
                    ],
                    allow_methods: 'GET,POST',
                    allow_headers: 'x-custom',
                    expose_headers: 'x-backend',
                    max_age: '600',
                    allow_credentials: { value: true },
                  },
                },
              },
            ),
          ]),
        ],
        listeners: [
          httpListener('http', {
            rds: { route_config_name: '80', config_source: { ads: {} } },
            http_filters: [
              { name: 'envoy.filters.http.cors', typed_config: { '@type': CORS } },
              { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT } },
              ROUTER,
            ],
          }),
        ],
      },
      { onRequestComplete: (r) => records.push(r) },
    );
    dp = p.dp;
    url = p.url;
  });
  afterAll(async () => {
    dp?.close();
    await a.close();
  });

  const recordFor = async (path: string): Promise<RequestRecord> => {
    for (let i = 0; i < 50; i++) {
      const r = records.findLast((x) => x.path === path);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`no record for ${path}`);
  };

  it('aborts with the configured status, body and flag FI', async () => {
    const before = a.seen.length;
    const r = await send(url('/abort'));
    expect(r.status).toBe(503);
    expect(r.body).toBe('fault filter abort');
    expect((await recordFor('/abort')).flags).toBe('FI');
    expect(a.seen.length).toBe(before);
  });

  it('aborts about the configured fraction of requests', async () => {
    let aborted = 0;
    for (let i = 0; i < 200; i += 20) {
      const rs = await Promise.all(Array.from({ length: 20 }, () => send(url('/half'))));
      aborted += rs.filter((r) => r.status === 500).length;
    }
    expect(aborted).toBeGreaterThan(60);
    expect(aborted).toBeLessThan(140);
  });

  it('aborts gRPC requests with a trailers-only grpc-status', async () => {
    const r = await send(url('/grpc-abort'), {
      method: 'POST',
      headers: { 'content-type': 'application/grpc' },
      body: '',
    });
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('14');
    expect(r.headers['grpc-message']).toBe('fault filter abort');
  });

  it('delays before forwarding and records DI', async () => {
    const r = await send(url('/delay'));
    expect(r.status).toBe(200);
    expect((await recordFor('/delay')).flags).toBe('DI');
  });

  it('answers a CORS preflight from an allowed origin itself', async () => {
    const before = a.seen.length;
    const r = await send(url('/cors'), {
      method: 'OPTIONS',
      headers: { origin: 'https://x.trusted.org', 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://x.trusted.org');
    expect(r.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(r.headers['access-control-allow-headers']).toBe('x-custom');
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(a.seen.length).toBe(before);
  });

  it('adds CORS headers to responses for allowed origins only', async () => {
    const ok = await send(url('/cors'), { headers: { origin: 'https://app.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(ok.headers['access-control-expose-headers']).toBe('x-backend');
    const no = await send(url('/cors'), { headers: { origin: 'https://evil.example.com' } });
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
    // A preflight from an origin that is not allowed goes upstream like any request.
    const pre = await send(url('/cors'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    expect(pre.json().method).toBe('OPTIONS');
  });

  it('skips a filter disabled for the route', async () => {
    const r = await send(url('/nocors'), { headers: { origin: 'https://app.example.com' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});
