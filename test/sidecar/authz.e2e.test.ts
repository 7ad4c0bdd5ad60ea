// End to end: a real pilot in file mode configures Petrel's gateway proxy over ADS
// with AuthorizationPolicy, RequestAuthentication and Petrel's LocalRateLimit, and
// live traffic through the gateway obeys them — and follows edits of the YAML.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startGatewayUnderPilot,
  type GatewayUnderPilot,
  httpGatewayYaml,
} from '../support/mesh/gateway-under-pilot.ts';
import { httpWorkloadsYaml } from '../support/mesh/http-workloads.ts';
import { httpBackend, send, type Backend, type Reply } from './proxy/support/backends.ts';

const ISSUER = 'https://auth.example.com';

let dir: string;
let mesh: GatewayUnderPilot;
let gatewayPort: number;
let backend: Backend;
let sign: (sub: string, expSeconds?: number) => Promise<string>;
let jwks: string;

const gatewayYaml = () =>
  httpGatewayYaml(gatewayPort, '    - route: [{ destination: { host: web, subset: v1 } }]\n');

const denyYaml = (paths: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-paths, namespace: default }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: DENY
  rules: [{ to: [{ operation: { paths: ['${paths}'] } }] }]`;

const jwtYaml = () => `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: ingress-jwt, namespace: default }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  jwtRules: [{ issuer: ${ISSUER}, audiences: [web], jwks: '${jwks}' }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: private-needs-alice, namespace: default }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  rules:
  - to: [{ operation: { notPaths: ['/private*'] } }]
  - from: [{ source: { requestPrincipals: ['${ISSUER}/alice'] } }]
    to: [{ operation: { paths: ['/private*'] } }]`;

const rateLimitYaml = () => `apiVersion: petrel.dev/v1alpha1
kind: LocalRateLimit
metadata: { name: ingress, namespace: default }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  ports: [${gatewayPort}]
  tokenBucket: { maxTokens: 3, fillInterval: 1h }`;

// A new connection per request: after a listener update, connections opened before
// it finish on the config they started with (drained, as in Envoy).
const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> =>
  send(`http://127.0.0.1:${gatewayPort}${path}`, { headers, fresh: true });

async function statuses(paths: string[], headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (const p of paths) out.push((await get(p, headers)).status);
  return out;
}

/** Polls until `check` holds (or 5 s pass); returns the ms it took. */
async function until(check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 5000 && !(await check())) await new Promise((r) => setTimeout(r, 20));
  return Date.now() - start;
}

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
  sign = (sub, exp = 3600) =>
    new SignJWT({ sub, aud: 'web' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + exp)
      .sign(privateKey);
  dir = mkdtempSync(join(tmpdir(), 'petrel-authz-e2e-'));
  gatewayPort = await freePort();
  backend = await httpBackend('web-v1');
  writeFileSync(
    join(dir, 'web.yaml'),
    httpWorkloadsYaml('web', 8000, [{ version: 'v1', port: backend.port }]),
  );
  writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml());
  writeFileSync(join(dir, 'deny.yaml'), denyYaml('/admin*'));
  writeFileSync(join(dir, 'jwt.yaml'), jwtYaml());
  mesh = await startGatewayUnderPilot(dir);
});

afterAll(async () => {
  await mesh?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Petrel's gateway enforcing security policy from pilot", () => {
  it('denies the path a DENY AuthorizationPolicy names with 403 RBAC: access denied, and serves the rest', async () => {
    const denied = await get('/admin/users');
    expect([denied.status, denied.body]).toEqual([403, 'RBAC: access denied']);
    expect(await statuses(['/', '/public/page'])).toEqual([200, 200]);
  });

  it('requires a JWT request principal where the ALLOW policy says so, and rejects bad tokens', async () => {
    expect(await statuses(['/private/data'])).toEqual([403]);
    const alice = { authorization: `Bearer ${await sign('alice')}` };
    expect(await statuses(['/private/data'], alice)).toEqual([200]);
    // The token was checked and then taken out: the backend never sees it.
    expect(backend.seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(
      await statuses(['/private/data'], { authorization: `Bearer ${await sign('bob')}` }),
    ).toEqual([403]);
    const expired = await get('/private/data', {
      authorization: `Bearer ${await sign('alice', -3600)}`,
    });
    expect([expired.status, expired.body]).toEqual([401, 'Jwt is expired']);
    // A bad token is refused even where no principal is required.
    expect(await statuses(['/'], { authorization: 'Bearer x.y.z' })).toEqual([401]);
  });

  it('flips allow and deny after an edit of the policy YAML', async () => {
    writeFileSync(join(dir, 'deny.yaml'), denyYaml('/public*'));
    await until(
      async () => (await statuses(['/public/page', '/admin/users'])).join() === '403,200',
    );
    expect(await statuses(['/public/page', '/admin/users', '/'])).toEqual([403, 200, 200]);
  });

  it('limits requests with a LocalRateLimit added live: 429 with the x-ratelimit headers once the bucket is empty', async () => {
    writeFileSync(join(dir, 'ratelimit.yaml'), rateLimitYaml());
    // The first response that carries the bucket's headers shows the new listener config is in.
    await until(async () => (await get('/')).headers['x-ratelimit-limit'] === '3');
    const replies: Reply[] = [];
    for (let i = 0; i < 5; i++) replies.push(await get('/'));
    // One token went to the request that saw the new config: two more pass, then 429s.
    expect(replies.map((r) => r.status)).toEqual([200, 200, 429, 429, 429]);
    expect(replies.map((r) => r.headers['x-ratelimit-remaining'])).toEqual([
      '1',
      '0',
      '0',
      '0',
      '0',
    ]);
    const limited = replies.filter((r) => r.status === 429);
    const r = limited[0]!;
    expect(r.body).toBe('local_rate_limited');
    expect(r.headers['x-ratelimit-limit']).toBe('3');
    expect(r.headers['x-ratelimit-remaining']).toBe('0');
    expect(r.headers['x-local-rate-limit']).toBe('true');
    unlinkSync(join(dir, 'ratelimit.yaml'));
    await until(async () => (await get('/')).status === 200);
    expect(await statuses(['/', '/', '/', '/', '/'])).toEqual([200, 200, 200, 200, 200]);
  });

  it('refuses a denied request no route takes with 403, not 404, as Envoy does (RBAC before the router)', async () => {
    // A second server whose VirtualService routes /shop only; the DENY now names /public*.
    const shopPort = await freePort();
    writeFileSync(
      join(dir, 'shop.yaml'),
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: shop, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: ${shopPort}, name: http-shop, protocol: HTTP }, hosts: [shop.example.com] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: default }
spec:
  hosts: [shop.example.com]
  gateways: [shop]
  http: [{ match: [{ uri: { prefix: /shop } }], route: [{ destination: { host: web, subset: v1 } }] }]`,
    );
    const shop = (path: string) =>
      send(`http://127.0.0.1:${shopPort}${path}`, {
        headers: { host: 'shop.example.com' },
        fresh: true,
      }).catch(() => ({ status: 0, body: '' }));
    await until(async () => (await shop('/shop')).status === 200);
    const denied = await shop('/public/unrouted');
    expect([denied.status, denied.body]).toEqual([403, 'RBAC: access denied']);
    expect((await shop('/elsewhere')).status).toBe(404);
    expect((await shop('/shop/cart')).status).toBe(200);
    unlinkSync(join(dir, 'shop.yaml'));
  });
});
