import { describe, expect, it } from 'vitest';
import {
  EnvoyProtoError,
  TypeName,
  TypeUrl,
  decodeAny,
  decodeResource,
  encodeResource,
  findType,
  lookupType,
  normalizeResource,
  typeUrlOf,
} from '../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../api/envoy/registry.ts';
import { envoyProtoFiles } from '../../../api/envoy/proto-files.ts';
import {
  dnsCluster,
  edsCluster,
  loadAssignment,
  outboundListener,
  routeConfiguration,
  tlsSecret,
} from './fixtures.ts';

function roundTrip(r: EnvoyResource): EnvoyResource {
  return decodeAny(encodeResource(r));
}

describe('Envoy proto registry', () => {
  it('resolves every TypeUrl and TypeName constant to a loaded message type', () => {
    for (const url of Object.values(TypeUrl)) expect(findType(url), url).toBeDefined();
    for (const name of Object.values(TypeName)) expect(findType(name), name).toBeDefined();
    expect(TypeUrl.Cluster).toBe('type.googleapis.com/envoy.config.cluster.v3.Cluster');
    expect(lookupType('.envoy.config.listener.v3.Listener').fullName).toBe(
      '.envoy.config.listener.v3.Listener',
    );
  });

  it('loads the whole v3 API but leaves out files whose imports grpc-js-xds does not ship', () => {
    const files = envoyProtoFiles();
    expect(files).toContain(
      'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
    );
    expect(files).toContain('envoy/extensions/filters/network/rbac/v3/rbac.proto');
    expect(files).toContain('envoy/extensions/access_loggers/stream/v3/stream.proto');
    expect(files).toContain('envoy/service/discovery/v3/ads.proto');
    // Imports opencensus protos, which are not in deps/.
    expect(files).not.toContain('envoy/config/trace/v3/opencensus.proto');
    expect(files.length).toBeGreaterThan(300);
  });

  it('throws a typed error for an unknown type name', () => {
    expect(() => lookupType('envoy.config.cluster.v3.Clusterr')).toThrowError(
      /unknown message type/,
    );
    try {
      lookupType('nope.Nope');
    } catch (err) {
      expect((err as EnvoyProtoError).code).toBe('PETREL_ENVOY_UNKNOWN_TYPE');
    }
  });
});

describe('round trips (decodeAny(encodeResource(x)) deep-equals x)', () => {
  it('Listener with inline HCM Any, RDS, listener filters, http filters and an access log', () => {
    const l = outboundListener();
    const back = roundTrip(l);
    expect(back).toEqual(l);
    const hcm = (back['filter_chains'] as any)[0].filters[0].typed_config;
    expect(hcm['@type']).toBe(typeUrlOf(TypeName.HttpConnectionManager));
    expect(hcm.http_filters.map((f: { name: string }) => f.name)).toEqual([
      'envoy.filters.http.fault',
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
  });

  it('EDS Cluster with LB config, circuit breakers, outlier detection, UpstreamTlsContext and Struct metadata', () => {
    const c = edsCluster();
    expect(roundTrip(c)).toEqual(c);
  });

  it('STRICT_DNS Cluster with inline endpoints and a typed ring-hash policy (UInt64Value)', () => {
    const c = dnsCluster();
    const back = roundTrip(c);
    expect(back).toEqual(c);
    const ring = (back['load_balancing_policy'] as any).policies[0].typed_extension_config
      .typed_config;
    expect(ring.maximum_ring_size).toEqual({ value: 8388608 });
  });

  it('RouteConfiguration with header matchers, weighted clusters, retries, timeouts and typed_per_filter_config', () => {
    const r = routeConfiguration();
    expect(roundTrip(r)).toEqual(r);
  });

  it('ClusterLoadAssignment with localities, priorities, health status and metadata', () => {
    const cla = loadAssignment();
    expect(roundTrip(cla)).toEqual(cla);
  });

  it('Secret with inline bytes (base64 in object form)', () => {
    const s = tlsSecret();
    expect(roundTrip(s)).toEqual(s);
    const bytes = encodeResource(s).value;
    expect(bytes.includes(Buffer.from('BEGIN CERTIFICATE'))).toBe(true);
  });

  it('decodeResource takes a type URL or a bare type name', () => {
    const c = edsCluster();
    const { value } = encodeResource(c);
    expect(decodeResource(TypeUrl.Cluster, value)).toEqual(c);
    expect(decodeResource(TypeName.Cluster, value)['@type']).toBe(TypeUrl.Cluster);
  });

  it('keeps the bytes readable by the protobufjs type directly (real protobuf wire format)', () => {
    const { value } = encodeResource(edsCluster());
    const msg = lookupType(TypeName.Cluster).decode(value) as unknown as {
      name: string;
      connect_timeout: { seconds: unknown };
    };
    expect(msg.name).toBe('outbound|9080|v1|reviews.default.svc.cluster.local');
    expect(Number(msg.connect_timeout.seconds)).toBe(10);
  });
});

describe('normalisation', () => {
  it('drops implicit-presence defaults, canonicalises durations and wrappers, turns int64 strings into numbers', () => {
    const input: EnvoyResource = {
      '@type': TypeUrl.Cluster,
      name: 'c',
      alt_stat_name: '',
      lb_policy: 'ROUND_ROBIN',
      connect_timeout: '1.5s',
      dns_refresh_rate: '0.1s',
      per_connection_buffer_limit_bytes: {},
      load_assignment: { cluster_name: 'c', policy: { weighted_priority_health: false } },
      ring_hash_lb_config: { minimum_ring_size: { value: '1024' } },
    };
    expect(normalizeResource(input)).toEqual({
      '@type': TypeUrl.Cluster,
      name: 'c',
      connect_timeout: '1.500s',
      dns_refresh_rate: '0.100s',
      per_connection_buffer_limit_bytes: { value: 0 },
      load_assignment: { cluster_name: 'c', policy: {} },
      ring_hash_lb_config: { minimum_ring_size: { value: 1024 } },
    });
  });

  it('keeps 64-bit integers beyond 2^53 as exact decimal strings', () => {
    const big = '18446744073709551615';
    const r = normalizeResource({
      '@type': TypeUrl.Cluster,
      name: 'c',
      ring_hash_lb_config: { maximum_ring_size: { value: big } },
    });
    expect((r['ring_hash_lb_config'] as any).maximum_ring_size.value).toBe(big);
  });

  it('gives float (32-bit) fields back as their shortest decimal, not 0.10000000149011612', () => {
    const r = normalizeResource({
      '@type': TypeUrl.Cluster,
      name: 'c',
      typed_extension_protocol_options: {
        f: { '@type': 'type.googleapis.com/google.protobuf.FloatValue', value: 0.1 },
      },
    });
    expect((r['typed_extension_protocol_options'] as any).f.value).toBe(0.1);
  });

  it('keeps unknown enum numbers as numbers (proto3 enums are open)', () => {
    const r = normalizeResource({ '@type': TypeUrl.Cluster, name: 'c', lb_policy: 99 });
    expect(r['lb_policy']).toBe(99);
  });

  it('carries Any of a type the registry lacks opaquely, and a well-known type as { @type, value }', () => {
    const opaque = {
      '@type': 'type.googleapis.com/istio.stats.PluginConfig',
      '@value': Buffer.from([8, 1]).toString('base64'),
    };
    const structAny = {
      '@type': 'type.googleapis.com/google.protobuf.Struct',
      value: { a: [1, 'x', null, { b: true }] },
    };
    const r: EnvoyResource = {
      '@type': TypeUrl.Cluster,
      name: 'c',
      typed_extension_protocol_options: {
        'istio.stats': opaque,
        'x.struct': structAny,
        'x.dur': { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '2s' },
      },
    };
    expect(roundTrip(r)).toEqual(r);
  });

  it('refuses to decode a top-level resource of a type it does not know', () => {
    expect(() =>
      decodeAny({ type_url: 'type.googleapis.com/istio.Nope', value: new Uint8Array() }),
    ).toThrowError(expect.objectContaining({ code: 'PETREL_ENVOY_UNKNOWN_TYPE' }));
  });

  it('reports bytes that are not the named type with PETREL_ENVOY_DECODE', () => {
    expect(() =>
      decodeAny({ type_url: TypeUrl.Cluster, value: Buffer.from([0x0a, 0x05, 0x61]) }),
    ).toThrowError(expect.objectContaining({ code: 'PETREL_ENVOY_DECODE' }));
  });
});
