// Test fixtures for the ADS server: a push snapshot, generators that are pure
// functions of it, and a real @grpc/grpc-js ADS client acting as the proxy.
import * as grpc from '@grpc/grpc-js';
import { decodeAny, loadAdsPackage } from '../../../api/envoy/registry.ts';
import type { Proxy } from '../../../pilot/model/proxy.ts';
import type { GeneratedResource, Generator } from '../../../pilot/translate/types.ts';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
} from '../../../pilot/xds/type-urls.ts';
import type { XdsLogger } from '../../../pilot/xds/types.ts';

export { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE };

/** A push snapshot: clusters (name → endpoint IPs), listeners (name → route name), routes (name → cluster). */
export interface TestPush {
  version: string;
  clusters: Record<string, string[]>;
  listeners: Record<string, string>;
  routes: Record<string, string>;
}

export function testPush(
  version: string,
  partial: Partial<Omit<TestPush, 'version'>> = {},
): TestPush {
  return {
    version,
    clusters: partial.clusters ?? { 'outbound|80||a.default.svc.cluster.local': ['10.0.0.1'] },
    listeners: partial.listeners ?? { '0.0.0.0_80': '80' },
    routes: partial.routes ?? { '80': 'outbound|80||a.default.svc.cluster.local' },
  };
}

const ADS = { ads: {}, resource_api_version: 'V3' };

export function clusterResource(name: string): GeneratedResource {
  return {
    name,
    resource: {
      '@type': CLUSTER_TYPE,
      name,
      type: 'EDS',
      eds_cluster_config: { eds_config: ADS, service_name: name },
      connect_timeout: '1s',
      lb_policy: 'ROUND_ROBIN',
    },
  };
}

export function endpointResource(
  name: string,
  ips: readonly string[],
  port = 80,
): GeneratedResource {
  return {
    name,
    resource: {
      '@type': ENDPOINT_TYPE,
      cluster_name: name,
      endpoints: [
        {
          locality: { region: 'test' },
          load_balancing_weight: { value: 1 },
          lb_endpoints: ips.map((ip) => ({
            endpoint: { address: { socket_address: { address: ip, port_value: port } } },
            load_balancing_weight: { value: 1 },
          })),
        },
      ],
    },
  };
}

export function routeResource(
  name: string,
  cluster: string,
  domains: string[] = ['*'],
): GeneratedResource {
  return {
    name,
    resource: {
      '@type': ROUTE_TYPE,
      name,
      virtual_hosts: [
        { name: 'all', domains, routes: [{ match: { prefix: '' }, route: { cluster } }] },
      ],
    },
  };
}

export function apiListenerResource(name: string, routeName: string): GeneratedResource {
  return {
    name,
    resource: {
      '@type': LISTENER_TYPE,
      name,
      api_listener: {
        api_listener: {
          '@type':
            'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: name,
          rds: { route_config_name: routeName, config_source: ADS },
          http_filters: [
            {
              name: 'router',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
              },
            },
          ],
        },
      },
    },
  };
}

/** Generators over TestPush; `calls` records every (type, push version, proxy) they served. */
export function testGenerators(): {
  generators: Generator<TestPush>[];
  calls: { type: string; version: string; proxy: string }[];
} {
  const calls: { type: string; version: string; proxy: string }[] = [];
  const make = (
    typeUrl: string,
    build: (push: TestPush) => GeneratedResource[],
  ): Generator<TestPush> => ({
    typeUrl,
    generate(push: TestPush, proxy: Proxy, names: readonly string[]) {
      calls.push({ type: typeUrl, version: push.version, proxy: proxy.id });
      const all = build(push);
      return names.length === 0 ? all : all.filter((r) => names.includes(r.name));
    },
  });
  return {
    calls,
    generators: [
      make(CLUSTER_TYPE, (p) => Object.keys(p.clusters).map((n) => clusterResource(n))),
      make(ENDPOINT_TYPE, (p) =>
        Object.entries(p.clusters).map(([n, ips]) => endpointResource(n, ips)),
      ),
      make(LISTENER_TYPE, (p) =>
        Object.entries(p.listeners).map(([n, route]) => apiListenerResource(n, route)),
      ),
      make(ROUTE_TYPE, (p) =>
        Object.entries(p.routes).map(([n, cluster]) => routeResource(n, cluster)),
      ),
    ],
  };
}

export const SIDECAR_ID = 'sidecar~10.1.0.1~productpage-v1-abc.default~default.svc.cluster.local';

export function node(
  id = SIDECAR_ID,
  metadata: Record<string, string> = {},
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) fields[k] = { stringValue: v };
  return { id, cluster: 'productpage.default', metadata: { fields } };
}

/** A logger that records lines, so tests can check what was logged. */
export function memoryLogger(): XdsLogger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

export interface AnyWire {
  type_url: string;
  value: Buffer;
}

/** Decodes a response's resources (SotW Any list, or delta Resource wrappers) to name → object. */
export function decodeResources(
  resources: (AnyWire | { name: string; resource: AnyWire })[],
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of resources) {
    const any = 'resource' in r ? r.resource : r;
    const obj = decodeAny(any) as Record<string, unknown>;
    const name = 'resource' in r ? r.name : String(obj.name ?? obj.cluster_name);
    out[name] = obj;
  }
  return out;
}

/** One ADS stream from a real gRPC client, with responses read one at a time. */
export class AdsStream<Res = Record<string, any>> {
  readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<unknown, Res>;
  private readonly buffered: Res[] = [];
  private readonly waiters: { resolve: (r: Res) => void; reject: (e: Error) => void }[] = [];
  private ended?: grpc.StatusObject;
  readonly statusPromise: Promise<grpc.StatusObject>;

  constructor(port: number, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') {
    this.client = new (loadAdsPackage().AggregatedDiscoveryService)(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    this.call = (
      this.client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, Res>>
    )[method]!();
    this.call.on('data', (r: Res) => {
      const w = this.waiters.shift();
      if (w) w.resolve(r);
      else this.buffered.push(r);
    });
    this.call.on('error', () => {}); // the status below carries it
    this.statusPromise = new Promise((resolve) => {
      this.call.on('status', (s: grpc.StatusObject) => {
        this.ended = s;
        for (const w of this.waiters.splice(0))
          w.reject(new Error(`stream ended: ${s.code} ${s.details}`));
        resolve(s);
      });
    });
  }

  static sotw(port: number): AdsStream {
    return new AdsStream(port, 'StreamAggregatedResources');
  }

  static delta(port: number): AdsStream {
    return new AdsStream(port, 'DeltaAggregatedResources');
  }

  send(req: Record<string, unknown>): void {
    this.call.write(req);
  }

  /** The next response; rejects if the stream ends or none comes within `ms` (a hang guard, not a timing check). */
  next(ms = 5000): Promise<Res> {
    const r = this.buffered.shift();
    if (r) return Promise.resolve(r);
    if (this.ended)
      return Promise.reject(new Error(`stream ended: ${this.ended.code} ${this.ended.details}`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (x: Res) => {
          clearTimeout(t);
          resolve(x);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no response within ${ms} ms`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Responses received and not yet read. */
  pending(): number {
    return this.buffered.length;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** Polls until `check` returns a truthy value; a hang guard for state that arrives asynchronously. */
export async function waitFor<T>(
  check: () => T | undefined | false,
  what: string,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const FULL = { full: true, configsUpdated: new Set<string>(), reason: ['config'] };
