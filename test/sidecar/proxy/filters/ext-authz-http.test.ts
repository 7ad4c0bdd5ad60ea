// envoy.filters.http.ext_authz with an http_service, through a real Petrel listener
// in front of a real backend, against a real HTTP authorizer: what the authorizer
// receives, how allow / deny / error decide the request, Istio's CUSTOM gating by
// RBAC shadow rules, per-route settings, and with_request_body.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { send } from '../support/backends.ts';
import {
  authzSuite,
  customShadowRbac,
  DENIED_BODY,
  routeWithPerRoute,
  extAuthzFilter,
  httpAuthorizer,
} from './ext-authz-support.ts';
import { freePort } from './security-support.ts';

type Obj = Record<string, unknown>;

const suite = authzSuite(httpAuthorizer, 'authz', false);
const proxy = suite.proxy;

/** Istio's http_service shape, to the `authz` cluster, with `extra` merged in. */
function httpService(extra: Obj = {}, service: Obj = {}): Obj {
  return {
    http_service: {
      server_uri: { uri: 'http://authz.foo.svc.cluster.local', cluster: 'authz', timeout: '2s' },
      path_prefix: '/check',
      authorization_response: {
        allowed_upstream_headers: { patterns: [{ exact: 'x-ext-authz-added' }] },
        allowed_client_headers: { patterns: [{ exact: 'x-ext-authz-check-result' }] },
        allowed_client_headers_on_success: { patterns: [{ exact: 'x-authz-note' }] },
      },
      ...service,
    },
    // Mixed case as in Istio's includeRequestHeadersInCheck; x-authz-* steer the test authorizer.
    allowed_headers: { patterns: [{ exact: 'X-Ext-Authz' }, { prefix: 'x-authz-' }] },
    transport_api_version: 'V3',
    ...extra,
  };
}

describe('ext_authz http_service', () => {
  it('replays the request to the authorizer (path prefix, method, authority, allowed headers, no body), then lets an allowed one through with its headers', async () => {
    const p = await proxy([extAuthzFilter(httpService())]);
    const before = suite.authz.seen.length;
    const r = await send(p.url('/api/items?page=2'), {
      method: 'POST',
      headers: {
        'x-ext-authz': 'allow',
        'x-other': 'kept-out',
        'x-secret': 's3cret',
        authorization: 'Bearer t',
      },
      body: 'payload',
    });
    expect(r.status).toBe(200);
    expect(suite.authz.seen.length).toBe(before + 1);
    const check = suite.authz.seen.at(-1)!;
    expect(check.method).toBe('POST');
    expect(check.url).toBe('/check/api/items?page=2');
    expect(check.headers.host).toBe(`127.0.0.1:${p.port}`);
    expect(check.headers['x-ext-authz']).toBe('allow');
    expect(check.headers.authorization).toBe('Bearer t');
    expect(check.headers['x-other']).toBeUndefined();
    expect(check.headers['x-secret']).toBeUndefined();
    expect(check.headers['content-length']).toBe('0');
    expect(check.body).toBe('');
    // The upstream gets the allowed authorizer header, loses what it consumed, keeps the body.
    const seen = suite.backend.seen.at(-1)!;
    expect(seen.headers['x-ext-authz-added']).toBe('from-authz');
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.headers['x-other']).toBe('kept-out');
    expect(seen.body).toBe('payload');
    // The client sees allowed_client_headers_on_success only.
    expect(r.headers['x-authz-note']).toBe('checked');
    expect(r.headers['x-ext-authz-added']).toBeUndefined();
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.ok': 1 });
  });

  it("denies with the authorizer's status, body and allowed headers, flag UAEX, and never reaches the upstream", async () => {
    const p = await proxy([extAuthzFilter(httpService())]);
    const before = suite.backend.seen.length;
    const r = await send(p.url('/api'), { headers: { 'x-ext-authz': 'deny' } });
    expect(r.status).toBe(403);
    expect(r.body).toBe(DENIED_BODY);
    expect(r.headers['x-ext-authz-check-result']).toBe('denied');
    expect(suite.backend.seen.length).toBe(before);
    const rec = p.records.at(-1)!;
    expect(rec.responseCodeDetails).toBe('ext_authz_denied');
    expect(rec.flags).toBe('UAEX');
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.denied': 1 });
  });

  it('passes every authorizer header but Host on a denial when allowed_client_headers is unset; other statuses deny too', async () => {
    const p = await proxy([extAuthzFilter(httpService({}, { authorization_response: {} }))]);
    const r = await send(p.url('/'), { headers: { 'x-authz-status': '401' } });
    expect(r.status).toBe(401);
    expect(r.body).toBe('authorizer says so');
    const d = await send(p.url('/'));
    expect(d.headers['x-ext-authz-check-result']).toBe('denied');
    expect(d.headers['content-type']).toBe('text/x-denied');
  });

  it('checks only the requests the CUSTOM shadow rules match (filter_enabled_metadata on the RBAC filter)', async () => {
    const { rbac, enabled } = customShadowRbac('/protected');
    const p = await proxy([
      rbac,
      extAuthzFilter(httpService({ filter_enabled_metadata: enabled })),
    ]);
    const before = suite.authz.seen.length;
    expect((await send(p.url('/public'))).status).toBe(200);
    expect(suite.authz.seen.length).toBe(before);
    expect((await send(p.url('/protected/x'))).status).toBe(403);
    expect(
      (await send(p.url('/protected/x'), { headers: { 'x-ext-authz': 'allow' } })).status,
    ).toBe(200);
    expect(suite.authz.seen.length).toBe(before + 2);
    expect(p.stats()).toEqual({
      'http.authz_test.ext_authz.disabled': 1,
      'http.authz_test.ext_authz.denied': 1,
      'http.authz_test.ext_authz.ok': 1,
    });
  });

  it('deny_at_disable refuses the requests the filter skips, with status_on_error', async () => {
    const { rbac, enabled } = customShadowRbac('/protected');
    const p = await proxy([
      rbac,
      extAuthzFilter(
        httpService({
          filter_enabled_metadata: enabled,
          deny_at_disable: { default_value: { value: true }, runtime_key: 'k' },
          status_on_error: { code: 'ServiceUnavailable' },
        }),
      ),
    ]);
    const r = await send(p.url('/public'));
    expect(r.status).toBe(503);
    expect(p.records.at(-1)!.responseCodeDetails).toBe('ext_authz_error');
  });

  it('skips the check on a route whose ExtAuthzPerRoute disables it', async () => {
    const p = await proxy([extAuthzFilter(httpService())], {
      routes: [
        routeWithPerRoute({ disabled: true }, '/healthz'),
        { match: { prefix: '/' }, route: { cluster: 'backend' } },
      ],
    });
    const before = suite.authz.seen.length;
    expect((await send(p.url('/healthz'))).status).toBe(200);
    expect(suite.authz.seen.length).toBe(before);
    expect((await send(p.url('/other'))).status).toBe(403);
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.denied': 1 });
  });
});

describe('ext_authz http_service failures', () => {
  it('fails closed with 403 and no body when the authorizer cannot be reached', async () => {
    const p = await proxy([extAuthzFilter(httpService())], { authzPort: await freePort() });
    const r = await send(p.url('/'), { headers: { 'x-ext-authz': 'allow' } });
    expect(r.status).toBe(403);
    expect(r.body).toBe('');
    const rec = p.records.at(-1)!;
    expect(rec.responseCodeDetails).toBe('ext_authz_error');
    expect(rec.flags).toBe('UAEX');
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.error': 1 });
  });

  it('lets the request through with failure_mode_allow, marking it with failure_mode_allow_header_add', async () => {
    const p = await proxy(
      [
        extAuthzFilter(
          httpService({ failure_mode_allow: true, failure_mode_allow_header_add: true }),
        ),
      ],
      { authzPort: await freePort() },
    );
    const r = await send(p.url('/'));
    expect(r.status).toBe(200);
    expect(suite.backend.seen.at(-1)!.headers['x-envoy-auth-failure-mode-allowed']).toBe('true');
    expect(p.stats()).toEqual({
      'http.authz_test.ext_authz.error': 1,
      'http.authz_test.ext_authz.failure_mode_allowed': 1,
    });
  });

  it('treats a timeout and a 5xx answer as errors, answered with status_on_error', async () => {
    const p = await proxy([
      extAuthzFilter(
        httpService(
          { status_on_error: { code: 'ServiceUnavailable' } },
          { server_uri: { uri: 'http://authz', cluster: 'authz', timeout: '0.1s' } },
        ),
      ),
    ]);
    const slow = await send(p.url('/'), {
      headers: { 'x-ext-authz': 'allow', 'x-authz-delay-ms': '1500' },
    });
    expect(slow.status).toBe(503);
    const broken = await send(p.url('/'), { headers: { 'x-authz-status': '500' } });
    expect(broken.status).toBe(503);
    expect(broken.body).toBe('');
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.error': 2 });
  });
});

describe('ext_authz with_request_body', () => {
  const body = (settings: Obj): Obj[] => [
    extAuthzFilter(httpService({ with_request_body: settings })),
  ];

  it('sends the buffered body to the authorizer and the whole body upstream', async () => {
    const p = await proxy(body({ max_request_bytes: 64 }));
    const r = await send(p.url('/upload'), {
      method: 'POST',
      headers: { 'x-ext-authz': 'allow' },
      body: 'hello authorizer',
    });
    expect(r.status).toBe(200);
    const check = suite.authz.seen.at(-1)!;
    expect(check.body).toBe('hello authorizer');
    expect(check.headers['content-length']).toBe('16');
    expect(check.headers['x-envoy-auth-partial-body']).toBe('false');
    expect(suite.backend.seen.at(-1)!.body).toBe('hello authorizer');
  });

  it('answers 413 without asking when the body passes max_request_bytes', async () => {
    const p = await proxy(body({ max_request_bytes: 8 }));
    const before = suite.authz.seen.length;
    const r = await send(p.url('/upload'), {
      method: 'POST',
      headers: { 'x-ext-authz': 'allow' },
      body: 'a body longer than eight bytes',
    });
    expect(r.status).toBe(413);
    expect(suite.authz.seen.length).toBe(before);
    expect(p.records.at(-1)!.responseCodeDetails).toBe('request_payload_too_large');
  });

  it('with allow_partial_message sends the first max_request_bytes, marked partial, and the upstream still gets all', async () => {
    const p = await proxy(body({ max_request_bytes: 8, allow_partial_message: true }));
    const sent = 'x'.repeat(100_000);
    const r = await send(p.url('/upload'), {
      method: 'PUT',
      headers: { 'x-ext-authz': 'allow' },
      body: sent,
    });
    expect(r.status).toBe(200);
    const check = suite.authz.seen.at(-1)!;
    expect(check.body).toBe('xxxxxxxx');
    expect(check.headers['x-envoy-auth-partial-body']).toBe('true');
    expect(suite.backend.seen.at(-1)!.body).toBe(sent);
  });

  it('survives a client that leaves while a partial body is being checked, and serves the next request', async () => {
    const p = await proxy(body({ max_request_bytes: 10, allow_partial_message: true }));
    const before = suite.authz.seen.length;
    const client = net.connect(p.port, '127.0.0.1');
    client.on('error', () => {});
    client.write(
      'POST /upload HTTP/1.1\r\nHost: x\r\nx-authz-delay-ms: 300\r\nContent-Length: 100000\r\n\r\n' +
        'a'.repeat(100),
    );
    // Gone while the authorizer is still deciding (it answers after 300 ms).
    await new Promise((r) => setTimeout(r, 100));
    client.destroy();
    await new Promise((r) => setTimeout(r, 400));
    expect(suite.authz.seen.length).toBe(before + 1);
    const r = await send(p.url('/after'), { headers: { 'x-ext-authz': 'allow' } });
    expect(r.status).toBe(200);
  });

  it('a route can turn body buffering off (check_settings.disable_request_body_buffering)', async () => {
    const p = await proxy(body({ max_request_bytes: 8 }), {
      routes: [routeWithPerRoute({ check_settings: { disable_request_body_buffering: true } })],
    });
    const r = await send(p.url('/'), {
      method: 'POST',
      headers: { 'x-ext-authz': 'allow' },
      body: 'a body longer than eight bytes',
    });
    expect(r.status).toBe(200);
    expect(suite.authz.seen.at(-1)!.body).toBe('');
    expect(suite.backend.seen.at(-1)!.body).toBe('a body longer than eight bytes');
  });
});

describe('ext_authz config', () => {
  it('reports fields it does not implement, naming them', async () => {
    const { ProxyDataPlane } = await import('../../../../sidecar/proxy/data-plane.ts');
    const { apply, httpListener, ROUTER, TypeUrl } = await import('../support/envoy.ts');
    const dp = new ProxyDataPlane();
    const errors = await apply(dp, TypeUrl.Listener, [
      httpListener('bad', {
        route_config: { name: 'r', virtual_hosts: [] },
        http_filters: [
          extAuthzFilter({
            grpc_service: { google_grpc: { target_uri: 'x:1', stat_prefix: 's' } },
            route_metadata_context_namespaces: ['a'],
          }),
          ROUTER,
        ],
      }),
    ]);
    dp.close();
    expect(errors.join('\n')).toMatch(/grpc_service\.google_grpc: is not supported/);
    expect(errors.join('\n')).toMatch(
      /route_metadata_context_namespaces: route metadata is not sent/,
    );
  });
});
