import { describe, expect, it } from 'vitest';
import { compileRouteConfiguration } from '../../../../sidecar/proxy/route/route-table.ts';
import type { RequestView } from '../../../../sidecar/proxy/route/types.ts';
import { canonical, routeConfig, vhost } from '../support/envoy.ts';

type Obj = Record<string, unknown>;

function req(
  authority: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): RequestView {
  const q = path.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '');
  return {
    method,
    authority,
    path,
    scheme: 'http',
    protocol: 'HTTP/1.1',
    headers,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 80,
    upstreamHost: undefined,
    header: (n) =>
      n === ':authority' ? authority : n === ':path' ? path : n === ':method' ? method : headers[n],
    queryParam: (n) => params.get(n) ?? undefined,
  };
}

function table(vhosts: Obj[], extra: Obj = {}) {
  const { table, errors } = compileRouteConfiguration(
    'rc',
    canonical(routeConfig('rc', vhosts, extra)),
  );
  expect(errors).toEqual([]);
  return table;
}

const named = (name: string, match: Obj): Obj => ({
  name,
  match,
  direct_response: { status: 200 },
});

describe('virtual host selection', () => {
  const t = table([
    vhost('exact', ['foo.example.com', 'foo.example.com:8080'], [named('r', { prefix: '/' })]),
    vhost('suffix-long', ['*.bar.example.com'], [named('r', { prefix: '/' })]),
    vhost('suffix', ['*.example.com'], [named('r', { prefix: '/' })]),
    vhost('prefix', ['api.*'], [named('r', { prefix: '/' })]),
    vhost('any', ['*'], [named('r', { prefix: '/' })]),
  ]);
  const vh = (host: string): string | undefined => t.virtualHost(host)?.name;

  it('prefers exact, then the longest suffix, then prefix, then *', () => {
    expect(vh('foo.example.com')).toBe('exact');
    expect(vh('FOO.Example.com')).toBe('exact');
    expect(vh('x.bar.example.com')).toBe('suffix-long');
    expect(vh('x.example.com')).toBe('suffix');
    expect(vh('api.other.org')).toBe('prefix');
    expect(vh('nothing.org')).toBe('any');
  });

  it('matches the host with its port unless told to ignore ports', () => {
    expect(vh('foo.example.com:8080')).toBe('exact');
    // "*.example.com" does not end "foo.example.com:9090", so only "*" is left.
    expect(vh('foo.example.com:9090')).toBe('any');
    const ignoring = table([vhost('exact', ['foo.example.com'], [named('r', { prefix: '/' })])], {
      ignore_port_in_host_matching: true,
    });
    expect(ignoring.virtualHost('foo.example.com:9090')?.name).toBe('exact');
  });

  it('never lets a wildcard match the empty string', () => {
    expect(vh('.example.com')).toBe('any');
  });

  it('rejects a domain used twice with its path', () => {
    const { errors } = compileRouteConfiguration(
      'rc',
      canonical(routeConfig('rc', [vhost('a', ['x.com'], []), vhost('b', ['x.com'], [])])),
    );
    expect(errors).toEqual([
      'virtual_hosts[1].domains: domain "x.com" is already used by another virtual host',
    ]);
  });
});

describe('route matching', () => {
  const t = table([
    vhost(
      'v',
      ['*'],
      [
        named('exact-path', { path: '/exact' }),
        named('ci-prefix', { prefix: '/CaSe', case_sensitive: { value: false } }),
        named('regex', { safe_regex: { regex: '/items/[0-9]+' } }),
        named('sep', { path_separated_prefix: '/api' }),
        named('hdr-exact', {
          prefix: '/h',
          headers: [{ name: 'x-v', string_match: { exact: 'v1' } }],
        }),
        named('hdr-regex', {
          prefix: '/h',
          headers: [{ name: 'x-v', safe_regex_match: { regex: 'v[2-3]' } }],
        }),
        named('hdr-present', { prefix: '/h', headers: [{ name: 'x-p', present_match: true }] }),
        named('hdr-invert', {
          prefix: '/h',
          headers: [{ name: 'x-v', string_match: { prefix: 'zz' }, invert_match: true }],
        }),
        named('query', {
          prefix: '/q',
          query_parameters: [{ name: 'debug', string_match: { exact: '1' } }],
        }),
        named('query-present', {
          prefix: '/q',
          query_parameters: [{ name: 'trace', present_match: true }],
        }),
        named('grpc', { prefix: '/svc.', grpc: {} }),
        named('suffix-contains', {
          prefix: '/s',
          headers: [
            { name: 'ua', string_match: { suffix: 'bot' } },
            { name: 'ua', string_match: { contains: 'good' } },
          ],
        }),
        named('fallback', { prefix: '/' }),
      ],
    ),
  ]);
  const route = (path: string, headers: Record<string, string> = {}): string | undefined =>
    t.route(req('any', path, headers))?.name;

  it('matches exact paths ignoring the query', () => {
    expect(route('/exact')).toBe('exact-path');
    expect(route('/exact?x=1')).toBe('exact-path');
    expect(route('/exact/more')).toBe('fallback');
  });

  it('matches prefixes case-insensitively when case_sensitive is false', () => {
    expect(route('/case/x')).toBe('ci-prefix');
    expect(route('/CASE')).toBe('ci-prefix');
  });

  it('requires safe_regex to match the whole path', () => {
    expect(route('/items/42')).toBe('regex');
    expect(route('/items/42/x')).toBe('fallback');
  });

  it('matches path_separated_prefix only at a segment boundary', () => {
    expect(route('/api')).toBe('sep');
    expect(route('/api/v1')).toBe('sep');
    expect(route('/api?x')).toBe('sep');
    expect(route('/apix')).toBe('fallback');
  });

  it('applies header matchers in order of the routes', () => {
    expect(route('/h', { 'x-v': 'v1' })).toBe('hdr-exact');
    expect(route('/h', { 'x-v': 'v3' })).toBe('hdr-regex');
    expect(route('/h', { 'x-p': '' })).toBe('hdr-present');
    expect(route('/h', { 'x-v': 'other' })).toBe('hdr-invert');
    // invert_match never matches a missing header
    expect(route('/h')).toBe('fallback');
  });

  it('matches query parameters by value and by presence', () => {
    expect(route('/q?debug=1')).toBe('query');
    expect(route('/q?debug=2&trace')).toBe('query-present');
    expect(route('/q?debug=2')).toBe('fallback');
  });

  it('matches gRPC requests by content-type', () => {
    expect(route('/svc.Echo/Say', { 'content-type': 'application/grpc+proto' })).toBe('grpc');
    expect(route('/svc.Echo/Say')).toBe('fallback');
  });

  it('requires every header matcher of a route', () => {
    expect(route('/s', { ua: 'goodbot' })).toBe('suffix-contains');
    expect(route('/s', { ua: 'badbot' })).toBe('fallback');
  });
});

describe('invalid route configuration', () => {
  it('names the field of a regex that does not compile', () => {
    const { errors } = compileRouteConfiguration(
      'rc',
      canonical(
        routeConfig('rc', [vhost('v', ['*'], [named('r', { safe_regex: { regex: '([a-z' } })])]),
      ),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: regex "\(\[a-z" does not compile/,
    );
  });

  it('reports an unsupported per-route filter config that is not optional', () => {
    const { errors } = compileRouteConfiguration(
      'rc',
      canonical(
        routeConfig('rc', [
          vhost(
            'v',
            ['*'],
            [
              {
                match: { prefix: '/' },
                direct_response: { status: 200 },
                typed_per_filter_config: {
                  'envoy.filters.http.buffer': {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
                    disabled: true,
                  },
                },
              },
            ],
          ),
        ]),
      ),
    );
    expect(errors).toEqual([
      'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.buffer"]: per-route config envoy.extensions.filters.http.buffer.v3.BufferPerRoute for envoy.filters.http.buffer is not supported',
    ]);
  });

  it('accepts an unsupported per-route config marked optional', () => {
    const { errors } = compileRouteConfiguration(
      'rc',
      canonical(
        routeConfig('rc', [
          vhost(
            'v',
            ['*'],
            [
              {
                match: { prefix: '/' },
                direct_response: { status: 200 },
                typed_per_filter_config: {
                  'envoy.filters.http.buffer': {
                    '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
                    is_optional: true,
                    config: {
                      '@type':
                        'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
                      disabled: true,
                    },
                  },
                },
              },
            ],
          ),
        ]),
      ),
    );
    expect(errors).toEqual([]);
  });
});
