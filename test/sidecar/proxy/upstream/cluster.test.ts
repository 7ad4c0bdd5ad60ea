import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { httpBackend, scriptedBackend, send, type Backend } from '../support/backends.ts';
import {
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  TypeUrl,
  vhost,
} from '../support/envoy.ts';

describe('clusters: hash policies, circuit breakers, outlier detection, DNS', () => {
  const backends: Backend[] = [];
  let slow: Backend;
  let bad: Backend;
  let good: Backend;
  let dp: ProxyDataPlane;
  let url: (p?: string) => string;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    for (const n of ['h1', 'h2', 'h3']) backends.push(await httpBackend(n));
    slow = await scriptedBackend('slow');
    bad = await httpBackend('bad', (_req, res) => {
      res.statusCode = 500;
      res.setHeader('x-backend', 'bad');
      res.end('{"backend":"bad"}');
    });
    good = await httpBackend('good');
    const addrs = backends.map((b): [string, number] => ['127.0.0.1', b.port]);
    const p = await startProxy(
      {
        clusters: [
          staticCluster('ring', addrs, { lb_policy: 'RING_HASH' }),
          staticCluster('maglev', addrs, { lb_policy: 'MAGLEV' }),
          staticCluster('half-dead', [
            ['127.0.0.1', 1],
            ['127.0.0.1', good.port],
          ]),
          staticCluster('limited', [['127.0.0.1', slow.port]], {
            circuit_breakers: {
              thresholds: [{ max_connections: { value: 1 }, max_pending_requests: { value: 1 } }],
            },
          }),
          staticCluster(
            'flaky',
            [
              ['127.0.0.1', bad.port],
              ['127.0.0.1', good.port],
            ],
            {
              outlier_detection: {
                consecutive_5xx: { value: 3 },
                interval: '10s',
                base_ejection_time: '30s',
                max_ejection_percent: { value: 50 },
              },
            },
          ),
          {
            '@type': TypeUrl.Cluster,
            name: 'dns',
            type: 'STRICT_DNS',
            connect_timeout: '1s',
            dns_lookup_family: 'V4_ONLY',
            load_assignment: {
              cluster_name: 'dns',
              endpoints: [
                {
                  lb_endpoints: [
                    {
                      endpoint: {
                        address: {
                          socket_address: { address: 'localhost', port_value: good.port },
                        },
                      },
                    },
                  ],
                },
              ],
            },
          },
        ],
        routes: [
          routeConfig('80', [
            vhost(
              'v',
              ['*'],
              [
                {
                  match: { prefix: '/ring' },
                  route: { cluster: 'ring', hash_policy: [{ header: { header_name: 'x-user' } }] },
                },
                {
                  match: { prefix: '/maglev' },
                  route: { cluster: 'maglev', hash_policy: [{ query_parameter: { name: 'u' } }] },
                },
                {
                  match: { prefix: '/cookie' },
                  route: {
                    cluster: 'ring',
                    hash_policy: [{ cookie: { name: 'sticky', ttl: '60s', path: '/' } }],
                  },
                },
                { match: { prefix: '/limited' }, route: { cluster: 'limited' } },
                { match: { prefix: '/flaky' }, route: { cluster: 'flaky' } },
                { match: { prefix: '/dns' }, route: { cluster: 'dns' } },
                {
                  match: { prefix: '/half-dead' },
                  route: {
                    cluster: 'half-dead',
                    retry_policy: {
                      retry_on: 'connect-failure',
                      num_retries: { value: 2 },
                      retry_back_off: { base_interval: '0.001s' },
                      retry_host_predicate: [
                        {
                          name: 'envoy.retry_host_predicates.previous_hosts',
                          typed_config: {
                            '@type':
                              'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
                          },
                        },
                      ],
                      host_selection_retry_max_attempts: 3,
                    },
                  },
                },
              ],
            ),
          ]),
        ],
        listeners: [
          httpListener('http', { rds: { route_config_name: '80', config_source: { ads: {} } } }),
        ],
      },
      { onRequestComplete: (r) => records.push(r) },
    );
    dp = p.dp;
    url = p.url;
  });
  afterAll(async () => {
    dp?.close();
    for (const b of [...backends, slow, bad, good]) await b?.close();
  });

  it('RING_HASH keeps a header value on one host and spreads different values', async () => {
    const hostFor = async (user: string): Promise<string> =>
      (await send(url('/ring'), { headers: { 'x-user': user } })).json<{ backend: string }>()
        .backend;
    for (const user of ['alice', 'bob', 'carol']) {
      const first = await hostFor(user);
      for (let i = 0; i < 10; i++) expect(await hostFor(user)).toBe(first);
    }
    const spread = new Set<string>();
    for (let i = 0; i < 40; i++) spread.add(await hostFor(`user-${i}`));
    expect(spread.size).toBe(3);
  });

  it('MAGLEV hashes a query parameter consistently', async () => {
    const first = (await send(url('/maglev?u=42'))).json().backend;
    for (let i = 0; i < 10; i++)
      expect((await send(url('/maglev?u=42&n=' + i))).json().backend).toBe(first);
  });

  it('generates the hash cookie when it is missing and honours it afterwards', async () => {
    const r = await send(url('/cookie'));
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(/^sticky="[0-9a-f]+"; Max-Age=60; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(';')[0]!;
    const first = (await send(url('/cookie'), { headers: { cookie } })).json().backend;
    for (let i = 0; i < 5; i++)
      expect((await send(url('/cookie'), { headers: { cookie } })).json().backend).toBe(first);
  });

  it('answers 503 UO past max_connections + max_pending_requests', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => send(url('/limited'), { headers: { 'x-delay-ms': '300' } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503]);
    const overflow = results.find((r) => r.status === 503)!;
    expect(overflow.body).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: overflow',
    );
    expect(records.filter((r) => r.path === '/limited' && r.flags === 'UO')).toHaveLength(2);
  });

  it('ejects a host after consecutive 5xx and stops sending it traffic', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 30; i++)
      seen.push((await send(url('/flaky'))).json<{ backend: string }>().backend);
    expect(seen.filter((b) => b === 'bad')).toHaveLength(3);
    expect(seen.slice(-10).every((b) => b === 'good')).toBe(true);
    expect(dp.hostRuntime('flaky', `127.0.0.1:${bad.port}`)?.healthFlags).toEqual([
      'failed_outlier_check',
    ]);
  });

  it('resolves STRICT_DNS endpoints before the first request', async () => {
    const r = await send(url('/dns'));
    expect(r.status).toBe(200);
    expect(r.json().backend).toBe('good');
  });

  it('retries a connection failure on another host (previous_hosts)', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await send(url('/half-dead'));
      expect(r.status).toBe(200);
      expect(r.json().backend).toBe('good');
    }
    expect(records.some((r) => r.path === '/half-dead' && r.attemptCount === 2)).toBe(true);
  });
});
