// Real external authorizers for the ext_authz tests, on 127.0.0.1 ephemeral ports:
// an HTTP one (node:http) and a gRPC one (@grpc/grpc-js serving
// envoy.service.auth.v3.Authorization from the protos grpc-js-xds ships). Both allow
// a request carrying `x-ext-authz: allow` and deny the rest, and record what they got.
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { includeDirs } from '../../../../api/envoy/proto-files.ts';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { httpBackend, type Backend } from '../support/backends.ts';
import {
  HTTP2_OPTIONS,
  httpListener,
  ROUTER,
  startProxy,
  staticCluster,
} from '../support/envoy.ts';

type Obj = Record<string, unknown>;

export const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const EXT_AUTHZ_PER_ROUTE =
  'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';
export const NETWORK_EXT_AUTHZ =
  'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';
export const HTTP_RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';

export const DENIED_BODY = 'denied by ext_authz';

/** A route to the backend carrying an ExtAuthzPerRoute (`disabled` or `check_settings`). */
export function routeWithPerRoute(perRoute: Obj, prefix = '/'): Obj {
  return {
    match: { prefix },
    route: { cluster: 'backend' },
    typed_per_filter_config: {
      'envoy.filters.http.ext_authz': { '@type': EXT_AUTHZ_PER_ROUTE, ...perRoute },
    },
  };
}

/** The ext_authz HTTP filter entry with this typed_config. */
export function extAuthzFilter(config: Obj): Obj {
  return { name: 'envoy.filters.http.ext_authz', typed_config: { '@type': EXT_AUTHZ, ...config } };
}

/**
 * Istio's CUSTOM pair: an RBAC filter with the CUSTOM rule as shadow rule (here:
 * paths starting with `prefix`), and the filter_enabled_metadata that keys on it.
 */
export function customShadowRbac(prefix: string): { rbac: Obj; enabled: Obj } {
  return {
    rbac: {
      name: 'envoy.filters.http.rbac',
      typed_config: {
        '@type': HTTP_RBAC,
        shadow_rules: {
          action: 'DENY',
          policies: {
            'istio-ext-authz-default-ns[foo]-policy[p]-rule[0]': {
              permissions: [{ url_path: { path: { prefix } } }],
              principals: [{ any: true }],
            },
          },
        },
        shadow_rules_stat_prefix: 'istio_ext_authz_',
      },
    },
    enabled: {
      filter: 'envoy.filters.http.rbac',
      path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }],
      value: { string_match: { prefix: 'istio-ext-authz-default' } },
    },
  };
}

/**
 * The HTTP authorizer: `x-ext-authz: allow` → 200 with `x-ext-authz-added` (for the
 * upstream) and `x-authz-note` (for the client); `x-authz-status: N` → answers N;
 * `x-authz-delay-ms` → waits first; anything else → 403 with a body and
 * `x-ext-authz-check-result: denied`.
 */
export async function httpAuthorizer(): Promise<Backend> {
  return httpBackend('authz', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const h = req.headers;
    const answer = (): void => {
      if (h['x-authz-status']) {
        res.statusCode = Number(h['x-authz-status']);
        res.end('authorizer says so');
      } else if (h['x-ext-authz'] === 'allow') {
        res.setHeader('x-ext-authz-added', 'from-authz');
        res.setHeader('x-authz-note', 'checked');
        res.setHeader('x-envoy-auth-headers-to-remove', 'x-secret');
        res.end();
      } else {
        res.statusCode = 403;
        res.setHeader('content-type', 'text/x-denied');
        res.setHeader('x-ext-authz-check-result', 'denied');
        res.end(DENIED_BODY);
      }
    };
    const delay = Number(h['x-authz-delay-ms'] ?? 0);
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
}

export type Decision = 'allow' | 'deny' | 'unavailable' | { delayMs: number };

export interface GrpcAuthorizer {
  port: number;
  /** CheckRequests as received (proto-loader objects, snake_case). */
  checks: Obj[];
  /** The call metadata and deadline of each check. */
  calls: { metadata: Record<string, unknown>; deadline: number }[];
  /** How to answer a check; by default allow on the header, deny otherwise. */
  decide: (check: Obj) => Decision;
  close(): Promise<void>;
}

export function checkHeaders(check: Obj): Record<string, string> {
  const http = ((check.attributes as Obj)?.request as Obj | undefined)?.http as Obj | undefined;
  return (http?.headers as Record<string, string>) ?? {};
}

/** Allow on `x-ext-authz: allow`, deny the rest. */
export const defaultDecision = (check: Obj): Decision =>
  checkHeaders(check)['x-ext-authz'] === 'allow' ? 'allow' : 'deny';

const OK_RESPONSE = {
  status: { code: 0 },
  ok_response: {
    headers: [
      { header: { key: 'x-ext-authz-check-result', value: 'allowed' } },
      { header: { key: 'x-appended', value: 'authz' }, append: { value: true } },
    ],
    headers_to_remove: ['x-secret'],
    response_headers_to_add: [{ header: { key: 'x-authz-note', value: 'checked' } }],
    query_parameters_to_set: [{ key: 'authz', value: 'yes' }],
  },
};

const DENIED_RESPONSE = {
  status: { code: 7 },
  denied_response: {
    status: { code: 'Unauthorized' },
    headers: [{ header: { key: 'x-ext-authz-check-result', value: 'denied' } }],
    body: DENIED_BODY,
  },
};

export async function grpcAuthorizer(
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<GrpcAuthorizer> {
  const def = loadSync('envoy/service/auth/v3/external_auth.proto', {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: includeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
  };
  const server = new grpc.Server();
  const a: GrpcAuthorizer = {
    port: 0,
    checks: [],
    calls: [],
    decide: defaultDecision,
    close: () => new Promise((r) => server.tryShutdown(() => r())),
  };
  server.addService(pkg.envoy.service.auth.v3.Authorization.service, {
    Check(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      a.checks.push(call.request);
      a.calls.push({ metadata: call.metadata.getMap(), deadline: Number(call.getDeadline()) });
      const d = a.decide(call.request);
      if (d === 'allow') cb(null, OK_RESPONSE);
      else if (d === 'deny') cb(null, DENIED_RESPONSE);
      else if (d === 'unavailable') cb({ code: grpc.status.UNAVAILABLE, details: 'authz down' });
      else setTimeout(() => cb(null, OK_RESPONSE), d.delayMs);
    },
  });
  a.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  return a;
}

export interface AuthzProxy {
  dp: ProxyDataPlane;
  url(path?: string): string;
  port: number;
  records: RequestRecord[];
  /** The proxy's counters whose names contain `part`. */
  stats(part?: string): Record<string, number>;
}

/**
 * A proxy whose listener (HCM stat_prefix `authz_test`) runs `filters` then routes
 * to the backend; `clusters` adds the authorizer's cluster(s).
 */
export async function authzProxy(
  backendPort: number,
  clusters: EnvoyResource[],
  filters: Obj[],
  opts: { routes?: Obj[] } = {},
): Promise<AuthzProxy> {
  const records: RequestRecord[] = [];
  const p = await startProxy(
    {
      clusters: [staticCluster('backend', [['127.0.0.1', backendPort]]), ...clusters],
      listeners: [
        httpListener('authz_test', {
          route_config: {
            name: 'local',
            virtual_hosts: [
              {
                name: 'all',
                domains: ['*'],
                routes: opts.routes ?? [{ match: { prefix: '/' }, route: { cluster: 'backend' } }],
              },
            ],
          },
          http_filters: [...filters, ROUTER],
        }),
      ],
    },
    { onRequestComplete: (r) => records.push(r) },
  );
  return {
    dp: p.dp,
    port: p.port(),
    url: (path = '/') => p.url(path),
    records,
    stats: (part = 'ext_authz') =>
      Object.fromEntries(
        p.dp
          .stats()
          .filter((s) => s.name.includes(part))
          .map((s) => [s.name, s.value]),
      ),
  };
}

/** A static cluster to an authorizer; `http2` for gRPC ones. */
export function authzCluster(name: string, port: number, http2 = false, extra: Obj = {}) {
  return staticCluster(name, [['127.0.0.1', port]], { ...(http2 ? HTTP2_OPTIONS : {}), ...extra });
}

/** Istio's authorizer cluster name and its gRPC service (used by the HTTP and network filters). */
export const AUTHZ_CLUSTER = 'outbound|9000||authz.foo.svc.cluster.local';
export const GRPC_SERVICE = {
  envoy_grpc: { cluster_name: AUTHZ_CLUSTER, authority: 'authz.foo.svc.cluster.local' },
  timeout: '2s',
};

export interface AuthzSuite<A> {
  readonly backend: Backend;
  readonly authz: A;
  /** A proxy running `filters`, its authorizer cluster at `authzPort` (default: the authorizer). */
  proxy(filters: Obj[], opts?: { routes?: Obj[]; authzPort?: number }): Promise<AuthzProxy>;
}

/**
 * A suite's backend and authorizer (started before, closed after its tests) and
 * its proxies, whose authorizer cluster is `cluster` (HTTP/2 for gRPC).
 */
export function authzSuite<A extends { port: number; close(): Promise<void> }>(
  startAuthorizer: () => Promise<A>,
  cluster: string,
  http2: boolean,
): AuthzSuite<A> {
  let backend: Backend | undefined;
  let authz: A | undefined;
  const proxies: AuthzProxy[] = [];
  beforeAll(async () => {
    backend = await httpBackend('app');
    authz = await startAuthorizer();
  });
  afterAll(async () => {
    for (const p of proxies) p.dp.close();
    await backend?.close();
    await authz?.close();
  });
  return {
    get backend() {
      return backend!;
    },
    get authz() {
      return authz!;
    },
    async proxy(filters, opts = {}) {
      const port = opts.authzPort ?? authz!.port;
      const p = await authzProxy(
        backend!.port,
        [authzCluster(cluster, port, http2)],
        filters,
        opts,
      );
      proxies.push(p);
      return p;
    },
  };
}

/** Sends `ping` and resolves with what came back before the connection closed. */
export function talk(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got === 'ping') s.end();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.write('ping');
  });
}
