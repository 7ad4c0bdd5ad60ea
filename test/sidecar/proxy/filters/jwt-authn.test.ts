// RequestAuthentication on live requests: keys made here with jose, tokens signed
// here, JWKS inline or served by a real node:http server (jwksUri); pilot's
// translation of the YAML configures a real Petrel listener.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, send, type Backend, type Reply } from '../support/backends.ts';
import { securityFilters, securityProxy, type SecurityProxy } from './security-support.ts';

const ISSUER = 'https://issuer.example.com';
const OTHER_ISSUER = 'https://other.example.com';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let key: PrivateKey;
let otherKey: PrivateKey;
let jwks: { keys: JWK[] };
let otherJwks: { keys: JWK[] };
let backend: Backend;
let jwksServer: http.Server;
let jwksFetches = 0;
let jwksUri: string;
const proxies: SecurityProxy[] = [];

async function token(
  claims: JWTPayload,
  opts: { key?: PrivateKey; kid?: string; exp?: number | string } = {},
): Promise<string> {
  const jwt = new SignJWT({ sub: 'alice', aud: 'web', iss: ISSUER, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'k1' })
    .setIssuedAt();
  jwt.setExpirationTime(opts.exp ?? '1h');
  return jwt.sign(opts.key ?? key);
}

beforeAll(async () => {
  ({ privateKey: key } = await generateKeyPair('ES256', { extractable: true }).then(async (kp) => {
    jwks = { keys: [{ ...(await exportJWK(kp.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    return kp;
  }));
  ({ privateKey: otherKey } = await generateKeyPair('ES256', { extractable: true }).then(
    async (kp) => {
      otherJwks = {
        keys: [{ ...(await exportJWK(kp.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }],
      };
      return kp;
    },
  ));
  backend = await httpBackend('app');
  jwksServer = http.createServer((req, res) => {
    jwksFetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/other' ? otherJwks : jwks));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  for (const p of proxies) p.dp.close();
  await backend.close();
  jwksServer.closeAllConnections();
  await new Promise((r) => jwksServer.close(r));
});

function requestAuthentication(rules: string): string {
  return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: default }
spec:
  jwtRules:
${rules}`;
}

const inline = () => `'${JSON.stringify(jwks)}'`;

async function proxyFor(yaml: string): Promise<SecurityProxy> {
  const p = await securityProxy(backend.port, securityFilters(yaml));
  proxies.push(p);
  return p;
}

async function get(
  p: SecurityProxy,
  path = '/',
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(p.url(path), { headers });
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
/** The request headers the backend saw, for the last request it answered. */
const seenHeaders = () => backend.seen.at(-1)!.headers;

describe('jwt_authn from RequestAuthentication', () => {
  let p: SecurityProxy;
  beforeAll(async () => {
    p = await proxyFor(
      requestAuthentication(`  - issuer: ${ISSUER}\n    audiences: [web]\n    jwks: ${inline()}`),
    );
  });

  it('lets a request without a token through (an AuthorizationPolicy decides whether one is needed)', async () => {
    expect((await get(p)).status).toBe(200);
  });

  it('accepts a valid token and, without forwardOriginalToken, removes it before the upstream', async () => {
    const r = await get(p, '/', bearer(await token({})));
    expect(r.status).toBe(200);
    expect(seenHeaders().authorization).toBeUndefined();
  });

  it('rejects an expired token with 401 "Jwt is expired" and an invalid_token challenge', async () => {
    const r = await get(
      p,
      '/a?b=c',
      bearer(await token({}, { exp: Math.floor(Date.now() / 1000) - 3600 })),
    );
    expect(r.status).toBe(401);
    expect(r.body).toBe('Jwt is expired');
    expect(r.headers['www-authenticate']).toBe(
      `Bearer realm="http://127.0.0.1:${p.port}/a", error="invalid_token"`,
    );
  });

  it('rejects a token from another issuer with 401', async () => {
    const r = await get(p, '/', bearer(await token({ iss: OTHER_ISSUER })));
    expect([r.status, r.body]).toEqual([401, 'Jwt issuer is not configured']);
  });

  it('rejects a token for another audience with 403, as Envoy does', async () => {
    const r = await get(p, '/', bearer(await token({ aud: 'api' })));
    expect([r.status, r.body]).toEqual([403, 'Audiences in Jwt are not allowed']);
  });

  it('rejects a bad signature (another key under the same kid) and a malformed token with 401', async () => {
    const forged = await get(p, '/', bearer(await token({}, { key: otherKey, kid: 'k1' })));
    expect([forged.status, forged.body]).toEqual([401, 'Jwt verification fails']);
    const unknownKid = await get(p, '/', bearer(await token({}, { key: otherKey, kid: 'k9' })));
    expect([unknownKid.status, unknownKid.body]).toEqual([
      401,
      "Jwks doesn't have key to match kid or alg from Jwt",
    ]);
    const garbage = await get(p, '/', bearer('not.a.token'));
    expect(garbage.status).toBe(401);
  });

  it('records why a request was refused', async () => {
    await get(p, '/why', bearer(await token({ aud: 'nope' })));
    const rec = p.records.findLast((r) => r.path === '/why')!;
    expect(rec.responseCodeDetails).toBe(
      'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}',
    );
  });
});

describe('jwt_authn token locations and outputs', () => {
  it('fetches keys from jwksUri once and caches them', async () => {
    const p = await proxyFor(
      requestAuthentication(`  - issuer: ${ISSUER}\n    jwksUri: ${jwksUri}`),
    );
    const before = jwksFetches;
    for (let i = 0; i < 3; i++)
      expect((await get(p, '/', bearer(await token({})))).status).toBe(200);
    expect(jwksFetches - before).toBe(1);
    const forged = await get(p, '/', bearer(await token({}, { key: otherKey, kid: 'k1' })));
    expect(forged.status).toBe(401);
  });

  it('reads tokens from fromHeaders (with prefix) and fromParams, and not from Authorization then', async () => {
    const p = await proxyFor(
      requestAuthentication(
        `  - issuer: ${ISSUER}\n    jwks: ${inline()}\n    fromHeaders: [{ name: x-jwt-assertion, prefix: 'Token ' }]\n    fromParams: [token]`,
      ),
    );
    const good = await token({});
    const bad = await token({ iss: OTHER_ISSUER });
    expect((await get(p, '/', { 'x-jwt-assertion': `Token ${good}` })).status).toBe(200);
    expect(seenHeaders()['x-jwt-assertion']).toBeUndefined();
    expect((await get(p, '/', { 'x-jwt-assertion': `Token ${bad}` })).status).toBe(401);
    expect((await get(p, `/?token=${good}`)).status).toBe(200);
    // A query parameter is not removed (Envoy leaves the URL alone).
    expect(backend.seen.at(-1)!.url).toBe(`/?token=${good}`);
    expect((await get(p, `/?token=${bad}`)).status).toBe(401);
    // Authorization is not a location of this rule: not checked, not removed.
    expect((await get(p, '/', bearer(bad))).status).toBe(200);
    expect(seenHeaders().authorization).toBe(`Bearer ${bad}`);
  });

  it('writes the payload to outputPayloadToHeader, claims to outputClaimToHeaders, and drops forged copies', async () => {
    const p = await proxyFor(
      requestAuthentication(
        `  - issuer: ${ISSUER}\n    jwks: ${inline()}\n    outputPayloadToHeader: x-jwt-payload\n    outputClaimToHeaders: [{ header: x-user, claim: sub }]`,
      ),
    );
    expect((await get(p, '/', { 'x-jwt-payload': 'forged', 'x-user': 'mallory' })).status).toBe(
      200,
    );
    expect(seenHeaders()['x-jwt-payload']).toBeUndefined();
    expect(seenHeaders()['x-user']).toBeUndefined();
    expect((await get(p, '/', bearer(await token({ sub: 'bob', groups: ['dev'] })))).status).toBe(
      200,
    );
    const payload = JSON.parse(
      Buffer.from(String(seenHeaders()['x-jwt-payload']), 'base64url').toString(),
    );
    expect(payload).toMatchObject({ iss: ISSUER, sub: 'bob', groups: ['dev'] });
    expect(seenHeaders()['x-user']).toBe('bob');
  });

  it('forwards the token when forwardOriginalToken is true', async () => {
    const p = await proxyFor(
      requestAuthentication(
        `  - issuer: ${ISSUER}\n    jwks: ${inline()}\n    forwardOriginalToken: true`,
      ),
    );
    const t = await token({});
    expect((await get(p, '/', bearer(t))).status).toBe(200);
    expect(seenHeaders().authorization).toBe(`Bearer ${t}`);
  });

  it('accepts tokens of either of two issuers sharing the Authorization header', async () => {
    const p = await proxyFor(
      requestAuthentication(
        `  - issuer: ${ISSUER}\n    jwks: ${inline()}\n  - issuer: ${OTHER_ISSUER}\n    jwksUri: ${jwksUri.replace('/jwks', '/other')}`,
      ),
    );
    expect((await get(p, '/', bearer(await token({})))).status).toBe(200);
    const other = await token({ iss: OTHER_ISSUER }, { key: otherKey, kid: 'k2' });
    expect((await get(p, '/', bearer(other))).status).toBe(200);
    const r = await get(p, '/', bearer(await token({ iss: 'https://third.example.com' })));
    expect([r.status, r.body]).toEqual([401, 'Jwt issuer is not configured']);
  });
});

describe('RequestAuthentication with AuthorizationPolicy', () => {
  let p: SecurityProxy;
  beforeAll(async () => {
    p = await proxyFor(
      [
        requestAuthentication(`  - issuer: ${ISSUER}\n    jwks: ${inline()}`),
        `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: require-jwt, namespace: default }
spec:
  rules:
  - from: [{ source: { requestPrincipals: ['${ISSUER}/alice', '${ISSUER}/svc-*'] } }]
  - from: [{ source: { requestPrincipals: ['*'] } }]
    to: [{ operation: { paths: ['/admin*'] } }]
    when:
    - { key: 'request.auth.claims[groups]', values: [admin] }
    - { key: 'request.auth.claims[scope]', values: [write] }
  - to: [{ operation: { paths: ['/aud'] } }]
    when: [{ key: request.auth.audiences, values: [web] }, { key: 'request.auth.claims[org][team]', values: [blue] }]`,
      ].join('\n---\n'),
    );
  });

  it('requires a request principal: a missing token is refused by RBAC (403), a valid one admitted', async () => {
    const missing = await get(p);
    expect([missing.status, missing.body]).toEqual([403, 'RBAC: access denied']);
    expect((await get(p, '/', bearer(await token({})))).status).toBe(200);
    expect((await get(p, '/', bearer(await token({ sub: 'svc-orders' })))).status).toBe(200);
    expect((await get(p, '/', bearer(await token({ sub: 'mallory' })))).status).toBe(403);
  });

  it('matches list claims and space-delimited scopes from the verified payload', async () => {
    const admin = await token({ sub: 'carol', groups: ['dev', 'admin'], scope: 'read write' });
    expect((await get(p, '/admin/x', bearer(admin))).status).toBe(200);
    const readOnly = await token({ sub: 'carol', groups: ['admin'], scope: 'read' });
    expect((await get(p, '/admin/x', bearer(readOnly))).status).toBe(403);
    const notAdmin = await token({ sub: 'carol', groups: 'dev', scope: 'write' });
    expect((await get(p, '/admin/x', bearer(notAdmin))).status).toBe(403);
  });

  it('matches audiences and nested claims', async () => {
    expect(
      (await get(p, '/aud', bearer(await token({ sub: 'x', org: { team: 'blue' } })))).status,
    ).toBe(200);
    expect(
      (await get(p, '/aud', bearer(await token({ sub: 'x', org: { team: 'red' } })))).status,
    ).toBe(403);
    // A header claiming to be a verified identity is no token at all.
    expect((await get(p, '/aud', { 'x-jwt-payload': 'e30' })).status).toBe(403);
  });
});
