// AuthorizationPolicy semantics on live requests: each case turns Istio YAML into
// the RBAC filters pilot builds and sends real requests through a Petrel listener.
// The peer's SPIFFE identity is stubbed (security-support.ts peerStub).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, send, type Backend } from '../support/backends.ts';
import {
  freePort,
  policy,
  securityFilters,
  securityProxy,
  type SecurityProxy,
} from './security-support.ts';

const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';
const OTHER = 'spiffe://cluster.local/ns/other/sa/curl';
const FOO = 'spiffe://cluster.local/ns/foo/sa/anything';

let backend: Backend;
const proxies: SecurityProxy[] = [];

beforeAll(async () => {
  backend = await httpBackend('app');
});
afterAll(async () => {
  for (const p of proxies) p.dp.close();
  await backend.close();
});

async function proxyFor(
  yaml: string,
  opts: Parameters<typeof securityProxy>[2] = {},
): Promise<SecurityProxy> {
  const p = await securityProxy(backend.port, yaml ? securityFilters(yaml) : [], opts);
  proxies.push(p);
  return p;
}

interface Call {
  path?: string;
  method?: string;
  peer?: string;
  headers?: Record<string, string>;
}

async function status(p: SecurityProxy, c: Call = {}): Promise<number> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.peer) headers['x-test-peer'] = c.peer;
  const r = await send(p.url(c.path ?? '/'), { method: c.method ?? 'GET', headers });
  if (r.status === 403) expect(r.body).toBe('RBAC: access denied');
  return r.status;
}

/** [call, expected status] rows, checked in order, so a failure names its row. */
async function matrix(p: SecurityProxy, rows: [Call, number][]): Promise<void> {
  const got: [Call, number][] = [];
  for (const [call] of rows) got.push([call, await status(p, call)]);
  expect(got).toEqual(rows);
}

describe('RBAC from AuthorizationPolicy in the data path', () => {
  it('allows everything when no policy applies', async () => {
    await matrix(await proxyFor(''), [
      [{}, 200],
      [{ method: 'DELETE', path: '/admin' }, 200],
    ]);
  });

  it('admits only the principals an ALLOW policy names, and refuses the rest with 403 RBAC: access denied', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/sleep] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ peer: SLEEP }, 200],
      [{ peer: OTHER }, 403],
      [{}, 403],
    ]);
    const denied = p.records.find((r) => r.responseCode === 403)!;
    expect(denied.responseCodeDetails).toBe('rbac_access_denied_matched_policy[none]');
  });

  it('matches principals with prefix and suffix wildcards and notPrincipals', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules:
  - from:
    - source:
        principals: ['cluster.local/ns/*', '*/sa/curl']
        notPrincipals: [cluster.local/ns/default/sa/blocked]`,
      ),
    );
    await matrix(p, [
      [{ peer: SLEEP }, 200],
      [{ peer: OTHER }, 200],
      [{ peer: 'spiffe://cluster.local/ns/default/sa/blocked' }, 403],
      [{ peer: 'spiffe://other.domain/ns/x/sa/curl' }, 200],
      [{ peer: 'spiffe://other.domain/ns/x/sa/web' }, 403],
    ]);
  });

  it('matches namespaces through the SPIFFE id, and notNamespaces', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules: [{ from: [{ source: { namespaces: [foo, 'de*'], notNamespaces: [default] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ peer: FOO }, 200],
      [{ peer: 'spiffe://cluster.local/ns/dev/sa/x' }, 200],
      [{ peer: SLEEP }, 403],
      [{ peer: OTHER }, 403],
      [{}, 403],
    ]);
  });

  it('matches ipBlocks against the connection peer and notIpBlocks', async () => {
    const allow = await proxyFor(
      policy('p', `  rules: [{ from: [{ source: { ipBlocks: [127.0.0.0/8] } }] }]`),
    );
    const not = await proxyFor(
      policy('p', `  rules: [{ from: [{ source: { notIpBlocks: [127.0.0.1] } }] }]`),
    );
    await matrix(allow, [[{}, 200]]);
    await matrix(not, [[{}, 403]]);
  });

  it('matches remoteIpBlocks against the client x-forwarded-for names, skipping xff_num_trusted_hops', async () => {
    const yaml = policy(
      'p',
      `  rules: [{ from: [{ source: { remoteIpBlocks: [203.0.113.0/24], notRemoteIpBlocks: [203.0.113.66] } }] }]`,
    );
    // A gateway (use_remote_address) behind one trusted load balancer.
    const gw = await proxyFor(yaml, {
      hcm: { use_remote_address: { value: true }, xff_num_trusted_hops: 1 },
    });
    await matrix(gw, [
      [{ headers: { 'x-forwarded-for': '203.0.113.7' } }, 200],
      [{ headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } }, 200],
      [{ headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } }, 403],
      [{ headers: { 'x-forwarded-for': '203.0.113.66' } }, 403],
      // No header: the client is the connection peer, 127.0.0.1.
      [{}, 403],
    ]);
    // Without trusted hops the gateway trusts only what it sees: the peer.
    const edge = await proxyFor(yaml, { hcm: { use_remote_address: { value: true } } });
    await matrix(edge, [[{ headers: { 'x-forwarded-for': '203.0.113.7' } }, 403]]);
    // A sidecar (no use_remote_address) reads the last address the gateway appended.
    const sidecar = await proxyFor(yaml);
    await matrix(sidecar, [
      [{ headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } }, 200],
      [{ headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } }, 403],
    ]);
  });

  it('matches methods, paths with Istio wildcards and their not-variants', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules:
  - to:
    - operation:
        methods: [GET, 'P*']
        notMethods: [PATCH]
        paths: [/exact, '/api/*', '*.json']
        notPaths: ['/api/private*']`,
      ),
    );
    await matrix(p, [
      [{ path: '/exact' }, 200],
      [{ path: '/exact/more' }, 403],
      [{ path: '/exact?q=1' }, 200],
      [{ path: '/api/v1/users' }, 200],
      [{ path: '/api/private/keys' }, 403],
      [{ path: '/data/file.json' }, 200],
      [{ path: '/data/file.xml' }, 403],
      [{ path: '/exact', method: 'POST' }, 200],
      [{ path: '/exact', method: 'PUT' }, 200],
      [{ path: '/exact', method: 'PATCH' }, 403],
      [{ path: '/exact', method: 'DELETE' }, 403],
    ]);
  });

  it('matches path templates ({*} one segment, {**} the rest)', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules: [{ to: [{ operation: { paths: ['/store/{*}/items', '/files/{**}'] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ path: '/store/42/items' }, 200],
      [{ path: '/store/42/43/items' }, 403],
      [{ path: '/files/a/b/c.txt' }, 200],
      [{ path: '/other' }, 403],
    ]);
  });

  it('matches hosts case-insensitively with wildcards, and notHosts', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules: [{ to: [{ operation: { hosts: ['*.example.com', 'api.local'], notHosts: [secret.example.com] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ headers: { host: 'www.example.com' } }, 200],
      [{ headers: { host: 'WWW.Example.COM' } }, 200],
      [{ headers: { host: 'secret.example.com' } }, 403],
      [{ headers: { host: 'api.local' } }, 200],
      [{ headers: { host: 'example.org' } }, 403],
    ]);
  });

  it('matches ports against the destination port, and notPorts', async () => {
    const port = await freePort();
    const allowed = await proxyFor(
      policy('p', `  rules: [{ to: [{ operation: { ports: ['${port}'] } }] }]`),
      { port },
    );
    const refused = await proxyFor(
      policy('p', `  rules: [{ to: [{ operation: { notPorts: ['${allowed.port}'] } }] }]`),
    );
    await matrix(allowed, [[{}, 200]]);
    await matrix(refused, [[{}, 200]]);
    const self = await proxyFor(
      policy('p', `  rules: [{ to: [{ operation: { ports: ['1'] } }] }]`),
    );
    await matrix(self, [[{}, 403]]);
  });

  it('matches request headers in `when`, any one of a comma-joined list, and notValues', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules:
  - when:
    - { key: 'request.headers[x-team]', values: [blue, 'red-*'] }
    - { key: 'request.headers[x-env]', notValues: [prod] }`,
      ),
    );
    await matrix(p, [
      [{ headers: { 'x-team': 'blue' } }, 200],
      [{ headers: { 'x-team': 'green,blue' } }, 200],
      [{ headers: { 'x-team': 'red-1' } }, 200],
      [{ headers: { 'x-team': 'bluegreen' } }, 403],
      [{ headers: { 'x-team': 'blue', 'x-env': 'prod' } }, 403],
      [{ headers: { 'x-env': 'dev' } }, 403],
    ]);
  });

  it('evaluates DENY before ALLOW: a denied request is refused even when an ALLOW policy matches', async () => {
    const p = await proxyFor(
      [
        policy(
          'allow-sleep',
          `  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/sleep] } }] }]`,
        ),
        policy(
          'deny-admin',
          `  action: DENY\n  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }]`,
        ),
      ].join('\n---\n'),
    );
    await matrix(p, [
      [{ peer: SLEEP }, 200],
      [{ peer: SLEEP, path: '/admin/users' }, 403],
      [{ peer: OTHER }, 403],
    ]);
    const denied = p.records.find((r) => r.path === '/admin/users')!;
    expect(denied.responseCodeDetails).toBe(
      'rbac_access_denied_matched_policy[ns[default]-policy[deny-admin]-rule[0]]',
    );
  });

  it('with DENY policies only, allows what they do not match', async () => {
    const p = await proxyFor(
      policy(
        'deny',
        `  action: DENY\n  rules: [{ from: [{ source: { notNamespaces: [default] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ peer: SLEEP }, 200],
      [{ peer: FOO }, 403],
      [{}, 403],
    ]);
  });

  it('allows nothing with an ALLOW policy without rules, and denies nothing with an empty DENY one', async () => {
    await matrix(await proxyFor(policy('none', `  action: ALLOW`)), [[{ peer: SLEEP }, 403]]);
    await matrix(await proxyFor(policy('none', `  action: DENY`)), [[{ peer: SLEEP }, 200]]);
    await matrix(await proxyFor(policy('all', `  action: DENY\n  rules: [{}]`)), [
      [{ peer: SLEEP }, 403],
    ]);
  });

  it('never refuses for AUDIT, nor for a dry-run DENY', async () => {
    const p = await proxyFor(
      [
        policy('audit', `  action: AUDIT\n  rules: [{ to: [{ operation: { paths: ['/*'] } }] }]`),
        policy('dry', `  action: DENY\n  rules: [{}]`, `istio.io/dry-run: "true"`),
      ].join('\n---\n'),
    );
    await matrix(p, [[{ path: '/x' }, 200]]);
  });

  it('ANDs the fields of one rule and ORs the rules of a policy', async () => {
    const p = await proxyFor(
      policy(
        'p',
        `  rules:
  - from: [{ source: { namespaces: [foo] } }]
    to: [{ operation: { methods: [GET] } }]
  - to: [{ operation: { paths: [/public] } }]`,
      ),
    );
    await matrix(p, [
      [{ peer: FOO }, 200],
      [{ peer: FOO, method: 'POST' }, 403],
      [{ peer: SLEEP }, 403],
      [{ peer: SLEEP, path: '/public', method: 'POST' }, 200],
    ]);
  });

  it('refuses what a CUSTOM policy would send to its external authorizer when no mesh provider can serve it (fail closed, as Istio)', async () => {
    const p = await proxyFor(
      policy(
        'ext',
        `  action: CUSTOM\n  provider: { name: opa }\n  rules: [{ to: [{ operation: { paths: ['/secure*'] } }] }]`,
      ),
    );
    await matrix(p, [
      [{ path: '/secure/x' }, 403],
      [{ path: '/open' }, 200],
    ]);
  });

  it('refuses a request no route takes with 403 before the router would say 404, as Envoy does', async () => {
    const routes = [{ match: { prefix: '/known' }, route: { cluster: 'backend' } }];
    const deny = await proxyFor(
      policy(
        'no-admin',
        `  action: DENY\n  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }]`,
      ),
      { routes },
    );
    const allow = await proxyFor(
      policy('only-known', `  rules: [{ to: [{ operation: { paths: ['/known*'] } }] }]`),
      { routes },
    );
    await matrix(deny, [
      [{ path: '/admin' }, 403],
      [{ path: '/elsewhere' }, 404],
      [{ path: '/known' }, 200],
    ]);
    await matrix(allow, [
      [{ path: '/unrouted' }, 403],
      [{ path: '/known' }, 200],
    ]);
    const unrouted = deny.records.find((r) => r.path === '/elsewhere')!;
    expect([unrouted.flags, unrouted.responseCodeDetails]).toEqual(['NR', 'route_not_found']);
    const refused = deny.records.find((r) => r.path === '/admin')!;
    expect(refused.responseCodeDetails).toBe(
      'rbac_access_denied_matched_policy[ns[default]-policy[no-admin]-rule[0]]',
    );
  });
});
