import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { httpBackend, scriptedBackend, send, type Backend } from '../support/backends.ts';
import { httpListener, routeConfig, startProxy, staticCluster, vhost } from '../support/envoy.ts';

type Obj = Record<string, unknown>;

describe('route actions and the router', () => {
  let a: Backend;
  let b: Backend;
  let dp: ProxyDataPlane;
  let url: (p?: string) => string;
  const records: RequestRecord[] = [];

  const routes: Obj[] = [
    {
      match: { prefix: '/direct' },
      direct_response: { status: 418, body: { inline_string: 'short and stout' } },
    },
    {
      match: { prefix: '/redirect' },
      redirect: {
        host_redirect: 'new.example.com',
        port_redirect: 8443,
        https_redirect: true,
        prefix_rewrite: '/moved',
        response_code: 'PERMANENT_REDIRECT',
      },
    },
    { match: { path: '/path-redirect' }, redirect: { path_redirect: '/elsewhere?x=1' } },
    { match: { prefix: '/old/' }, route: { cluster: 'a', prefix_rewrite: '/new/' } },
    {
      match: { prefix: '/re/' },
      route: {
        cluster: 'a',
        regex_rewrite: { pattern: { regex: '^/re/(\\w+)/v(\\d)$' }, substitution: '/v\\2/\\1' },
      },
    },
    {
      match: { prefix: '/host' },
      route: { cluster: 'a', host_rewrite_literal: 'rewritten.internal' },
    },
    {
      match: { prefix: '/headers' },
      route: { cluster: 'a' },
      request_headers_to_add: [
        { header: { key: 'x-route', value: 'r' } },
        { header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%' } },
        { header: { key: 'x-over', value: 'route' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      ],
      request_headers_to_remove: ['x-secret'],
      response_headers_to_add: [{ header: { key: 'x-resp', value: 'yes' } }],
      response_headers_to_remove: ['x-backend'],
    },
    {
      match: { prefix: '/split' },
      route: {
        weighted_clusters: {
          clusters: [
            { name: 'a', weight: { value: 75 } },
            { name: 'b', weight: { value: 25 } },
          ],
        },
      },
    },
    { match: { prefix: '/timeout' }, route: { cluster: 'a', timeout: '0.2s' } },
    { match: { prefix: '/notimeout' }, route: { cluster: 'a', timeout: '0s' } },
    {
      match: { prefix: '/retry' },
      route: {
        cluster: 'a',
        retry_policy: {
          retry_on: '5xx',
          num_retries: { value: 2 },
          retry_back_off: { base_interval: '0.005s' },
        },
      },
    },
    {
      match: { prefix: '/pertry' },
      route: {
        cluster: 'a',
        retry_policy: {
          retry_on: 'gateway-error',
          num_retries: { value: 1 },
          per_try_timeout: '0.1s',
          retry_back_off: { base_interval: '0.005s' },
        },
      },
    },
    {
      match: { prefix: '/mirror' },
      route: { cluster: 'a', request_mirror_policies: [{ cluster: 'b' }] },
    },
    { match: { prefix: '/missing' }, route: { cluster: 'does-not-exist' } },
    { match: { prefix: '/empty' }, route: { cluster: 'empty' } },
    { match: { prefix: '/' }, route: { cluster: 'a' } },
  ];

  beforeAll(async () => {
    a = await scriptedBackend('a');
    b = await httpBackend('b');
    const p = await startProxy(
      {
        clusters: [
          staticCluster('a', [['127.0.0.1', a.port]]),
          staticCluster('b', [['127.0.0.1', b.port]]),
          staticCluster('empty', []),
        ],
        routes: [
          routeConfig('80', [
            vhost('all', ['*'], routes, {
              include_request_attempt_count: true,
              include_attempt_count_in_response: true,
              request_headers_to_add: [
                {
                  header: { key: 'x-over', value: 'vhost' },
                  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
                },
              ],
            }),
          ]),
        ],
        listeners: [
          httpListener('http', {
            rds: { route_config_name: '80', config_source: { ads: {} } },
            use_remote_address: { value: true },
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
    await b.close();
  });

  const lastRecord = async (path: string): Promise<RequestRecord> => {
    for (let i = 0; i < 50; i++) {
      const r = records.findLast((x) => x.path.startsWith(path));
      if (r) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`no record for ${path}`);
  };

  it('answers a direct response with its status and body', async () => {
    const r = await send(url('/direct'));
    expect(r.status).toBe(418);
    expect(r.body).toBe('short and stout');
  });

  it('redirects with scheme, host, port, prefix rewrite and code', async () => {
    const r = await send(url('/redirect/a?q=1'));
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://new.example.com:8443/moved/a?q=1');
    const p = await send(url('/path-redirect?old=1'));
    expect(p.status).toBe(301);
    expect(p.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/elsewhere\?x=1$/);
  });

  it('rewrites the path prefix, by regex, and the host', async () => {
    expect((await send(url('/old/thing?x=1'))).json().url).toBe('/new/thing?x=1');
    expect((await send(url('/re/books/v2'))).json().url).toBe('/v2/books');
    const h = (await send(url('/host'))).json<{ headers: Obj }>().headers;
    expect(h.host).toBe('rewritten.internal');
    expect(String(h['x-forwarded-host'])).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('adds and removes request and response headers, route before virtual host', async () => {
    const r = await send(url('/headers'), { headers: { 'x-secret': 's', 'x-route': 'client' } });
    const h = r.json<{ headers: Obj }>().headers;
    expect(h['x-route']).toBe('client, r');
    expect(h['x-client']).toBe('127.0.0.1');
    expect(h['x-secret']).toBeUndefined();
    // the virtual host's OVERWRITE is evaluated after the route's (least specific wins by default)
    expect(h['x-over']).toBe('vhost');
    expect(r.headers['x-resp']).toBe('yes');
    expect(r.headers['x-backend']).toBeUndefined();
  });

  it("adds Envoy's headers: x-request-id, x-forwarded-for/proto, attempt count, service time", async () => {
    const r = await send(url('/plain'), { headers: { 'x-forwarded-for': '10.1.1.1' } });
    const h = r.json<{ headers: Obj }>().headers;
    expect(String(h['x-request-id'])).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(h['x-forwarded-for']).toBe('10.1.1.1,127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-envoy-attempt-count']).toBe('1');
    expect(h['x-envoy-expected-rq-timeout-ms']).toBe('15000');
    expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(0);
    expect(r.headers['x-envoy-attempt-count']).toBe('1');
    expect(r.headers.server).toBe('envoy');
    const kept = await send(url('/plain'), { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.json<{ headers: Obj }>().headers['x-request-id']).toBe('abc-123');
  });

  it('splits traffic by weight within tolerance', async () => {
    let toA = 0;
    const n = 1000;
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => send(url('/split'))));
      for (const r of batch) if (r.json().backend === 'a') toA++;
    }
    // 75% ± 5 points: a binomial with n=1000 has a standard deviation of about 1.4 points.
    expect(toA / n).toBeGreaterThan(0.7);
    expect(toA / n).toBeLessThan(0.8);
  });

  it('answers 504 UT when the route timeout fires, and 0s disables the timeout', async () => {
    const r = await send(url('/timeout'), { headers: { 'x-delay-ms': '600' } });
    expect(r.status).toBe(504);
    expect(r.body).toBe('upstream request timeout');
    expect((await lastRecord('/timeout')).flags).toContain('UT');
    const ok = await send(url('/notimeout'), { headers: { 'x-delay-ms': '300' } });
    expect(ok.status).toBe(200);
    expect(ok.json<{ headers: Obj }>().headers['x-envoy-expected-rq-timeout-ms']).toBeUndefined();
  });

  it('retries a 503 and says how many attempts it took', async () => {
    const r = await send(url('/retry'), { headers: { 'x-fail-times': '2' } });
    expect(r.status).toBe(200);
    expect(r.json().attempt).toBe(3);
    expect(r.json<{ headers: Obj }>().headers['x-envoy-attempt-count']).toBe('3');
    expect(r.headers['x-envoy-attempt-count']).toBe('3');
  });

  it('gives up after num_retries with the last response and flag URX', async () => {
    const r = await send(url('/retry'), { headers: { 'x-fail-times': '5' } });
    expect(r.status).toBe(503);
    expect(r.headers['x-envoy-attempt-count']).toBe('3');
    const rec = await lastRecord('/retry');
    expect(rec.flags).toContain('URX');
    expect(rec.attemptCount).toBe(3);
  });

  it('retries after a per-try timeout', async () => {
    // Two attempts of 0.1s each both time out: 504 after one retry.
    const r = await send(url('/pertry'), { headers: { 'x-delay-ms': '400' } });
    expect(r.status).toBe(504);
    expect(r.headers['x-envoy-attempt-count']).toBeUndefined();
    expect((await lastRecord('/pertry')).attemptCount).toBe(2);
  });

  it('replays the request body on retry', async () => {
    const r = await send(url('/retry'), {
      method: 'POST',
      body: 'payload-123',
      headers: { 'x-fail-times': '1' },
    });
    expect(r.status).toBe(200);
    expect(r.json().body).toBe('payload-123');
  });

  it('answers 503 NC for a missing cluster and 503 UH for one without endpoints', async () => {
    const nc = await send(url('/missing'));
    expect(nc.status).toBe(503);
    expect((await lastRecord('/missing')).flags).toBe('NC');
    const uh = await send(url('/empty'));
    expect(uh.status).toBe(503);
    expect(uh.body).toBe('no healthy upstream');
    expect((await lastRecord('/empty')).flags).toBe('UH');
  });

  it('mirrors a copy of the request to the shadow cluster and ignores its answer', async () => {
    const r = await send(url('/mirror'), {
      method: 'POST',
      body: 'mirrored-body',
      headers: { host: 'svc.local:8080' },
    });
    expect(r.json().backend).toBe('a');
    for (let i = 0; i < 50 && !b.seen.some((x) => x.url === '/mirror'); i++)
      await new Promise((res) => setTimeout(res, 10));
    const copy = b.seen.find((x) => x.url === '/mirror')!;
    expect(copy.headers.host).toBe('svc.local-shadow:8080');
    expect(copy.body).toBe('mirrored-body');
  });

  it('records DC and cancels the upstream request when the client goes away', async () => {
    const ac = new AbortController();
    const pending = fetch(url('/gone'), {
      headers: { 'x-delay-ms': '400' },
      signal: ac.signal,
    }).catch(() => 'aborted');
    await new Promise((res) => setTimeout(res, 100));
    ac.abort();
    expect(await pending).toBe('aborted');
    expect((await lastRecord('/gone')).flags).toContain('DC');
  });

  it('records the request facts for telemetry', async () => {
    await send(url('/facts'), { headers: { 'user-agent': 'test-agent' } });
    const rec = await lastRecord('/facts');
    expect(rec).toMatchObject({
      method: 'GET',
      protocol: 'HTTP/1.1',
      responseCode: 200,
      upstreamCluster: 'a',
      upstreamHost: `127.0.0.1:${a.port}`,
      userAgent: 'test-agent',
      listenerName: 'http',
      flags: '',
    });
    expect(rec.bytesSent).toBeGreaterThan(0);
    expect(rec.duration).toBeGreaterThan(0);
  });
});
