import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, send, type Backend } from './support/backends.ts';
import {
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  toCluster,
  vhost,
} from './support/envoy.ts';
import type { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';

describe('routing', () => {
  let a: Backend;
  let b: Backend;
  let dp: ProxyDataPlane;
  let url: (p?: string) => string;

  beforeAll(async () => {
    a = await httpBackend('a');
    b = await httpBackend('b');
    const p = await startProxy({
      clusters: [
        staticCluster('a', [['127.0.0.1', a.port]]),
        staticCluster('b', [['127.0.0.1', b.port]]),
      ],
      routes: [
        routeConfig('80', [
          vhost('exact', ['exact.example.com'], [toCluster('a')]),
          vhost('suffix', ['*.example.com'], [toCluster('b')]),
          vhost('default', ['*'], [toCluster('a', '/a'), toCluster('b', '/b')]),
        ]),
      ],
      listeners: [
        httpListener('http', { rds: { route_config_name: '80', config_source: { ads: {} } } }),
      ],
    });
    dp = p.dp;
    url = p.url;
  });
  afterAll(async () => {
    dp?.close();
    await a.close();
    await b.close();
  });

  it('routes by host: exact beats suffix wildcard', async () => {
    const r1 = await send(url('/x'), { headers: { host: 'exact.example.com' } });
    expect(r1.status).toBe(200);
    expect(r1.json().backend).toBe('a');
    const r2 = await send(url('/x'), { headers: { host: 'other.example.com' } });
    expect(r2.json().backend).toBe('b');
  });

  it('returns 404 NR when no route matches', async () => {
    const r = await send(url('/zzz'));
    expect(r.status).toBe(404);
  });
});
