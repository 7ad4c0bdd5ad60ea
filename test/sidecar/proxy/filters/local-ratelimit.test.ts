// Petrel's LocalRateLimit on live requests: pilot's translation of the YAML
// configures a Petrel listener (and, for route buckets, its routes); the bucket
// empties, requests get 429 with Envoy's headers, and it refills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRateLimit } from '../../../../pilot/model/authorization.ts';
import {
  routeRateLimits,
  withRouteRateLimits,
} from '../../../../pilot/translate/security/local-ratelimit.ts';
import { httpBackend, send, type Backend, type Reply } from '../support/backends.ts';
import {
  policies,
  securityFilters,
  securityProxy,
  type SecurityProxy,
} from './security-support.ts';

let backend: Backend;
const proxies: SecurityProxy[] = [];

beforeAll(async () => {
  backend = await httpBackend('app');
});
afterAll(async () => {
  for (const p of proxies) p.dp.close();
  await backend.close();
});

function limit(spec: string): string {
  return `apiVersion: petrel.dev/v1alpha1
kind: LocalRateLimit
metadata: { name: limit, namespace: default }
spec:
${spec}`;
}

async function proxyFor(yaml: string, routes?: Record<string, unknown>[]): Promise<SecurityProxy> {
  const p = await securityProxy(backend.port, securityFilters(yaml), routes ? { routes } : {});
  proxies.push(p);
  return p;
}

async function burst(p: SecurityProxy, n: number, path = '/'): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await send(p.url(path)));
  return out;
}

describe('local rate limit from LocalRateLimit', () => {
  it('admits maxTokens requests, then answers 429 local_rate_limited with the x-ratelimit headers', async () => {
    const p = await proxyFor(limit(`  tokenBucket: { maxTokens: 3, fillInterval: 1h }`));
    const replies = await burst(p, 5);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(replies.map((r) => r.headers['x-ratelimit-remaining'])).toEqual([
      '2',
      '1',
      '0',
      '0',
      '0',
    ]);
    for (const r of replies) {
      expect(r.headers['x-ratelimit-limit']).toBe('3');
      expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    }
    const limited = replies[3]!;
    expect(limited.body).toBe('local_rate_limited');
    expect(limited.headers['x-local-rate-limit']).toBe('true');
    expect(replies[0]!.headers['x-local-rate-limit']).toBeUndefined();
    const rec = p.records.find((r) => r.responseCode === 429)!;
    expect(rec.flags).toBe('RL');
    expect(rec.responseCodeDetails).toBe('local_rate_limited');
  });

  it('refills tokensPerFill every fillInterval', async () => {
    const p = await proxyFor(
      limit(`  tokenBucket: { maxTokens: 2, tokensPerFill: 1, fillInterval: 200ms }`),
    );
    expect((await burst(p, 3)).map((r) => r.status)).toEqual([200, 200, 429]);
    let status = 429;
    const deadline = Date.now() + 5000;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await send(p.url())).status;
    }
    expect(status).toBe(200);
  });

  it('leaves out the x-ratelimit headers when rateLimitHeaders is false', async () => {
    const p = await proxyFor(
      limit(`  tokenBucket: { maxTokens: 1, fillInterval: 1h }\n  rateLimitHeaders: false`),
    );
    const replies = await burst(p, 2);
    expect(replies.map((r) => r.status)).toEqual([200, 429]);
    expect(replies.map((r) => r.headers['x-ratelimit-limit'])).toEqual([undefined, undefined]);
  });

  it('answers a limited gRPC request with a trailers-only UNAVAILABLE', async () => {
    const p = await proxyFor(limit(`  tokenBucket: { maxTokens: 1, fillInterval: 1h }`));
    const call = () =>
      send(p.url('/pkg.Svc/Method'), {
        method: 'POST',
        headers: { 'content-type': 'application/grpc' },
        body: '',
      });
    expect((await call()).status).toBe(200);
    const r = await call();
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('14');
  });

  it('gives named routes their own bucket (typed_per_filter_config), leaving the others unlimited', async () => {
    const yaml = limit(
      `  routes: [{ name: checkout, tokenBucket: { maxTokens: 1, fillInterval: 1h } }]`,
    );
    const routes = withRouteRateLimits(
      {
        virtual_hosts: [
          {
            routes: [
              { name: 'checkout', match: { prefix: '/checkout' }, route: { cluster: 'backend' } },
              { name: 'browse', match: { prefix: '/' }, route: { cluster: 'backend' } },
            ],
          },
        ],
      },
      routeRateLimits(policies(yaml) as LocalRateLimit[], undefined),
    ) as { virtual_hosts: { routes: Record<string, unknown>[] }[] };
    const p = await proxyFor(yaml, routes.virtual_hosts[0]!.routes);
    expect((await burst(p, 2, '/checkout')).map((r) => r.status)).toEqual([200, 429]);
    expect((await burst(p, 4, '/browse')).map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('applies only to the ports it names', async () => {
    expect(
      securityFilters(
        limit(`  ports: [8080]\n  tokenBucket: { maxTokens: 1, fillInterval: 1h }`),
        9090,
      ),
    ).toEqual([]);
    expect(
      securityFilters(
        limit(`  ports: [8080]\n  tokenBucket: { maxTokens: 1, fillInterval: 1h }`),
        8080,
      ),
    ).toHaveLength(1);
  });
});
