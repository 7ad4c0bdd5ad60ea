import { describe, expect, it } from 'vitest';
import {
  EnvoyProtoError,
  TypeName,
  TypeUrl,
  encodeResource,
  typeUrlOf,
} from '../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../api/envoy/registry.ts';
import { edsCluster, outboundListener } from './fixtures.ts';

/** The problems encodeResource reports for a resource (it must throw). */
function problems(r: EnvoyResource): readonly string[] {
  try {
    encodeResource(r);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvoyProtoError);
    expect((err as EnvoyProtoError).code).toBe('PETREL_ENVOY_ENCODE');
    return (err as EnvoyProtoError).problems;
  }
  throw new Error('encodeResource accepted the resource');
}

const cluster = (extra: Record<string, unknown>): EnvoyResource => ({
  '@type': TypeUrl.Cluster,
  name: 'c',
  ...extra,
});

describe('strict encoding: unknown fields', () => {
  it('names the path of an unknown field deep inside lists', () => {
    const r = cluster({
      load_assignment: {
        cluster_name: 'c',
        endpoints: [{ lb_endpoints: [{ endpoint: {}, foo: 1 }] }],
      },
    });
    expect(problems(r)).toEqual([
      'Cluster.load_assignment.endpoints[0].lb_endpoints[0]: unknown field "foo"',
    ]);
  });

  it('follows the path through inline Anys', () => {
    const l = outboundListener();
    const hcm = (l['filter_chains'] as any)[0].filters[0].typed_config;
    hcm.http_filters[2].typed_config.start_child_spam = true;
    expect(problems(l)).toEqual([
      'Listener.filter_chains[0].filters[0].typed_config.http_filters[2].typed_config: unknown field "start_child_spam"',
    ]);
  });

  it('suggests the snake_case name for a camelCase key', () => {
    expect(problems(cluster({ connectTimeout: '1s' }))).toEqual([
      'Cluster: unknown field "connectTimeout" (did you mean "connect_timeout"?)',
    ]);
  });

  it('reports every problem, not only the first', () => {
    expect(problems(cluster({ a: 1, b: 2, connect_timeout: 5 }))).toEqual([
      'Cluster: unknown field "a"',
      'Cluster: unknown field "b"',
      'Cluster.connect_timeout: expected a duration string like "1s" or "0.250s", got number 5',
    ]);
  });

  it('rejects "@type" on a message that is not an Any', () => {
    expect(
      problems(
        cluster({ load_assignment: { '@type': TypeUrl.ClusterLoadAssignment, cluster_name: 'c' } }),
      ),
    ).toEqual(['Cluster.load_assignment: unknown field "@type"']);
  });
});

describe('strict encoding: wrong types', () => {
  it.each([
    [{ name: 5 }, 'Cluster.name: expected a string, got number 5'],
    [{ respect_dns_ttl: 'yes' }, 'Cluster.respect_dns_ttl: expected a boolean, got string "yes"'],
    [
      { per_connection_buffer_limit_bytes: 5 },
      'Cluster.per_connection_buffer_limit_bytes: expected an object (google.protobuf.UInt32Value), got number 5',
    ],
    [
      { per_connection_buffer_limit_bytes: { value: -1 } },
      'Cluster.per_connection_buffer_limit_bytes.value: expected an unsigned 32-bit integer, got number -1',
    ],
    [
      { per_connection_buffer_limit_bytes: { value: 1.5 } },
      'Cluster.per_connection_buffer_limit_bytes.value: expected an unsigned 32-bit integer, got number 1.5',
    ],
    [
      { ring_hash_lb_config: { minimum_ring_size: { value: '12x' } } },
      'Cluster.ring_hash_lb_config.minimum_ring_size.value: expected an unsigned 64-bit integer (number or decimal string), got string "12x"',
    ],
    [
      { ring_hash_lb_config: { minimum_ring_size: { value: -1 } } },
      'Cluster.ring_hash_lb_config.minimum_ring_size.value: expected an unsigned 64-bit integer (number or decimal string), got number -1',
    ],
    [
      { connect_timeout: '1m' },
      'Cluster.connect_timeout: expected a duration string like "1s" or "0.250s", got string "1m"',
    ],
    [
      { health_checks: { timeout: '1s' } },
      'Cluster.health_checks: expected an array, got an object',
    ],
    [{ health_checks: [null] }, 'Cluster.health_checks[0]: list element must not be null'],
    [
      { metadata: { filter_metadata: { istio: 'x' } } },
      'Cluster.metadata.filter_metadata["istio"]: expected a JSON object, got string "x"',
    ],
    [
      { metadata: { filter_metadata: { istio: { n: Number.NaN } } } },
      'Cluster.metadata.filter_metadata["istio"]["n"]: expected a finite number, got number NaN',
    ],
    [
      { lb_policy: 'ROUND_ROBINN' },
      /^Cluster\.lb_policy: unknown value "ROUND_ROBINN" for enum envoy\.config\.cluster\.v3\.Cluster\.LbPolicy \(one of ROUND_ROBIN, LEAST_REQUEST, /,
    ],
    [
      { lb_policy: true },
      'Cluster.lb_policy: expected an enum name of envoy.config.cluster.v3.Cluster.LbPolicy, got boolean true',
    ],
  ])('%j', (extra, expected) => {
    const got = problems(cluster(extra));
    expect(got).toHaveLength(1);
    if (typeof expected === 'string') expect(got[0]).toBe(expected);
    else expect(got[0]).toMatch(expected);
  });

  it('rejects two members of one oneof', () => {
    expect(
      problems(cluster({ type: 'EDS', cluster_type: { name: 'envoy.clusters.aggregate' } })),
    ).toEqual([
      'Cluster: oneof "cluster_discovery_type" has 2 fields set (type, cluster_type); set one',
    ]);
  });

  it('treats undefined and null as "not set"', () => {
    const { value } = encodeResource(cluster({ alt_stat_name: undefined, load_assignment: null }));
    expect(value).toEqual(encodeResource(cluster({})).value);
  });
});

describe('strict encoding: Any', () => {
  it('requires "@type" on an inline Any', () => {
    const r = cluster({ transport_socket: { name: 'tls', typed_config: { sni: 'x' } } });
    expect(problems(r)).toEqual([
      'Cluster.transport_socket.typed_config: "@type" is required (a type URL like type.googleapis.com/envoy.config.cluster.v3.Cluster)',
    ]);
  });

  it('rejects an unknown type URL and a bare name without the URL prefix', () => {
    const r = cluster({
      transport_socket: {
        name: 'tls',
        typed_config: { '@type': 'type.googleapis.com/envoy.nope.v3.Nope' },
      },
      typed_extension_protocol_options: { x: { '@type': TypeName.HttpProtocolOptions } },
    });
    expect(problems(r)).toEqual([
      'Cluster.transport_socket.typed_config: unknown type "type.googleapis.com/envoy.nope.v3.Nope" in "@type"',
      `Cluster.typed_extension_protocol_options["x"]: "@type" "${TypeName.HttpProtocolOptions}" is not a type URL (want type.googleapis.com/${TypeName.HttpProtocolOptions})`,
    ]);
  });

  it('checks the fields of the packed type, not of the enclosing message', () => {
    const r = cluster({
      transport_socket: {
        name: 'tls',
        typed_config: { '@type': typeUrlOf(TypeName.UpstreamTlsContext), sni: 'a', name: 'b' },
      },
    });
    expect(problems(r)).toEqual(['Cluster.transport_socket.typed_config: unknown field "name"']);
  });

  it('requires "@type" on the resource itself', () => {
    expect(problems({ name: 'c' } as unknown as EnvoyResource)).toEqual([
      '(resource): "@type" is required (a type URL like type.googleapis.com/envoy.config.cluster.v3.Cluster)',
    ]);
  });

  it('the error message carries every problem on one line', () => {
    try {
      encodeResource(cluster({ a: 1, b: 2 }));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        '2 problems: Cluster: unknown field "a"; Cluster: unknown field "b"',
      );
    }
  });

  it('encodes a valid realistic resource without complaint', () => {
    expect(encodeResource(edsCluster()).type_url).toBe(TypeUrl.Cluster);
  });
});
