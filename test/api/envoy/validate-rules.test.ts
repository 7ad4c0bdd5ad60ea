import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TypeName,
  TypeUrl,
  lookupType,
  typeUrlOf,
  validateResource,
} from '../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../api/envoy/registry.ts';
import { includeDirs } from '../../../api/envoy/proto-files.ts';
import { fieldRules } from '../../../api/envoy/pgv-options.ts';
import { unsupportedRules } from '../../../api/envoy/validate-rules.ts';
import {
  dnsCluster,
  edsCluster,
  loadAssignment,
  outboundListener,
  routeConfiguration,
  tlsSecret,
} from './fixtures.ts';

/** The .proto source text, to check that a rule the tests rely on is really Envoy's. */
function protoText(rel: string): string {
  return readFileSync(path.join(includeDirs()[0]!, rel), 'utf8');
}

const any = (o: unknown): any => o;

describe('PGV: valid resources pass', () => {
  it.each([
    ['Listener', outboundListener],
    ['EDS Cluster', edsCluster],
    ['DNS Cluster', dnsCluster],
    ['RouteConfiguration', routeConfiguration],
    ['ClusterLoadAssignment', loadAssignment],
    ['Secret', tlsSecret],
  ])('%s', (_name, make) => {
    expect(validateResource(make())).toEqual([]);
  });

  it('every rule used by the loaded protos is one the checker enforces', () => {
    expect(unsupportedRules()).toEqual([]);
  });
});

describe('PGV: each targeted violation is reported with its full path', () => {
  it('empty Cluster name (string.min_len: 1)', () => {
    expect(protoText('envoy/config/cluster/v3/cluster.proto')).toMatch(
      /\n {2}string name = 1 \[\(validate\.rules\)\.string = \{min_len: 1\}\];/,
    );
    const c = edsCluster();
    c['name'] = '';
    expect(validateResource(c)).toEqual([
      'Cluster.name: value length must be at least 1 characters',
    ]);
    // An absent string is checked as its default '', as PGV does.
    delete c['name'];
    expect(validateResource(c)).toEqual([
      'Cluster.name: value length must be at least 1 characters',
    ]);
  });

  it('connect_timeout "0s" (duration.gt: {})', () => {
    expect(protoText('envoy/config/cluster/v3/cluster.proto')).toContain(
      'google.protobuf.Duration connect_timeout = 4 [(validate.rules).duration = {gt {}}];',
    );
    expect(validateResource({ ...edsCluster(), connect_timeout: '0s' })).toEqual([
      'Cluster.connect_timeout: value must be greater than 0s',
    ]);
    expect(validateResource({ ...edsCluster(), connect_timeout: '0.000000001s' })).toEqual([]);
  });

  it('a header matcher name with a newline (HTTP_HEADER_NAME, strict: false)', () => {
    expect(protoText('envoy/config/route/v3/route_components.proto')).toContain(
      '[(validate.rules).string = {min_len: 1 well_known_regex: HTTP_HEADER_NAME strict: false}]',
    );
    const r = routeConfiguration();
    any(r).virtual_hosts[0].routes[0].match.headers[0].name = 'end-user\nx-injected: 1';
    expect(validateResource(r)).toEqual([
      'RouteConfiguration.virtual_hosts[0].routes[0].match.headers[0].name: value does not match regex pattern "^[^\\u0000\\u000A\\u000D]*$" (HTTP_HEADER_NAME, not strict)',
    ]);
    // Non-strict allows characters RFC 7230 would not, like a space.
    any(r).virtual_hosts[0].routes[0].match.headers[0].name = 'end user';
    expect(validateResource(r)).toEqual([]);
  });

  it('a strict HTTP header name check rejects a space', () => {
    // Unlike HeaderMatcher.name, CustomHeaderConfig.header_name asks for the strict RFC 7230 check.
    const custom = lookupType(
      'envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig',
    );
    expect(fieldRules(custom.fields['header_name']!)).toEqual({
      string: { min_len: 1, well_known_regex: 'HTTP_HEADER_NAME', strict: true },
    });
    const l = outboundListener();
    any(l).filter_chains[0].filters[0].typed_config.original_ip_detection_extensions = [
      {
        name: 'custom',
        typed_config: {
          '@type': typeUrlOf(
            'envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig',
          ),
          header_name: 'x real ip',
        },
      },
    ];
    expect(validateResource(l)).toEqual([
      'Listener.filter_chains[0].filters[0].typed_config.original_ip_detection_extensions[0].typed_config.header_name: value does not match regex pattern "^:?[0-9a-zA-Z!#$%&\'*+-.^_|~\\x60]+$" (HTTP_HEADER_NAME)',
    ]);
  });

  it('empty virtual host domains (repeated.min_items: 1)', () => {
    expect(protoText('envoy/config/route/v3/route_components.proto')).toMatch(
      /repeated string domains = 2 \[\(validate\.rules\)\.repeated = \{\s+min_items: 1/,
    );
    const r = routeConfiguration();
    any(r).virtual_hosts[1].domains = [];
    expect(validateResource(r)).toEqual([
      'RouteConfiguration.virtual_hosts[1].domains: value must contain at least 1 item(s)',
    ]);
  });

  it('a route with neither cluster nor weighted_clusters (oneof cluster_specifier is required)', () => {
    expect(protoText('envoy/config/route/v3/route_components.proto')).toMatch(
      /oneof cluster_specifier \{\s+option \(validate\.required\) = true;/,
    );
    const r = routeConfiguration();
    delete any(r).virtual_hosts[1].routes[0].route.cluster;
    const got = validateResource(r);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(
      /^RouteConfiguration\.virtual_hosts\[1\]\.routes\[0\]\.route\.cluster_specifier: value is required \(set one of cluster, cluster_header, weighted_clusters/,
    );
  });

  it('a route with no action at all (oneof action is required)', () => {
    const r = routeConfiguration();
    delete any(r).virtual_hosts[1].routes[0].route;
    expect(validateResource(r)[0]).toMatch(
      /^RouteConfiguration\.virtual_hosts\[1\]\.routes\[0\]\.action: value is required \(set one of route, redirect, direct_response/,
    );
  });

  it('an undefined enum value (enum.defined_only)', () => {
    expect(validateResource({ ...edsCluster(), lb_policy: 99 })).toEqual([
      'Cluster.lb_policy: value must be one of the defined enum values',
    ]);
  });

  it('a fault abort status outside [200, 600) inside typed_per_filter_config', () => {
    expect(protoText('envoy/extensions/filters/http/fault/v3/fault.proto')).toContain(
      'uint32 http_status = 2 [(validate.rules).uint32 = {lt: 600 gte: 200}];',
    );
    const r = routeConfiguration();
    any(r).virtual_hosts[0].routes[1].typed_per_filter_config[
      'envoy.filters.http.fault'
    ].abort.http_status = 600;
    expect(validateResource(r)).toEqual([
      'RouteConfiguration.virtual_hosts[0].routes[1].typed_per_filter_config["envoy.filters.http.fault"].abort.http_status: value must be inside range [200, 600)',
    ]);
  });

  it('an empty HCM stat_prefix inside the listener filter Any', () => {
    const l = outboundListener();
    any(l).filter_chains[0].filters[0].typed_config.stat_prefix = '';
    expect(validateResource(l)).toEqual([
      'Listener.filter_chains[0].filters[0].typed_config.stat_prefix: value length must be at least 1 characters',
    ]);
  });

  it('RDS without config_source (message.required)', () => {
    expect(
      protoText(
        'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
      ),
    ).toContain(
      'config.core.v3.ConfigSource config_source = 1 [(validate.rules).message = {required: true}];',
    );
    const l = outboundListener();
    delete any(l).filter_chains[0].filters[0].typed_config.rds.config_source;
    expect(validateResource(l)).toEqual([
      'Listener.filter_chains[0].filters[0].typed_config.rds.config_source: value is required',
    ]);
  });

  it('a wrapper value beyond its bound (UInt64Value with uint64 gte/lte)', () => {
    expect(
      protoText('envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto'),
    ).toMatch(
      /UInt64Value minimum_ring_size = 2\s+\[\(validate\.rules\)\.uint64 = \{lte: 8388608 gte: 1\}\];/,
    );
    const c = dnsCluster();
    any(c).load_balancing_policy.policies[0].typed_extension_config.typed_config.minimum_ring_size =
      { value: 8388609 };
    expect(validateResource(c)).toEqual([
      'Cluster.load_balancing_policy.policies[0].typed_extension_config.typed_config.minimum_ring_size: value must be inside range [1, 8388608]',
    ]);
  });

  it('an empty metadata key (map.keys.string.min_len: 1)', () => {
    expect(protoText('envoy/config/core/v3/base.proto')).toMatch(
      /map<string, google\.protobuf\.Struct> filter_metadata = 1\s+\[\(validate\.rules\)\.map = \{keys \{string \{min_len: 1\}\}\}\];/,
    );
    const cla = loadAssignment();
    any(cla).endpoints[0].lb_endpoints[0].metadata.filter_metadata[''] = { a: 1 };
    expect(validateResource(cla)).toEqual([
      'ClusterLoadAssignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata[""]: key: value length must be at least 1 characters',
    ]);
  });

  it('reports several violations at once', () => {
    const c = edsCluster();
    c['name'] = '';
    c['connect_timeout'] = '-1s';
    c['lb_policy'] = 42;
    expect(validateResource(c)).toEqual([
      'Cluster.name: value length must be at least 1 characters',
      'Cluster.connect_timeout: value must be greater than 0s',
      'Cluster.lb_policy: value must be one of the defined enum values',
    ]);
  });

  it('reports structural problems instead of rules when the shape is wrong', () => {
    expect(validateResource({ '@type': TypeUrl.Cluster, name: '', nme: 'x' })).toEqual([
      'Cluster: unknown field "nme"',
    ]);
  });

  it('does not check an unset oneof member (empty cluster_header is only checked when chosen)', () => {
    const r = routeConfiguration();
    expect(validateResource(r)).toEqual([]);
    any(r).virtual_hosts[1].routes[0].route = { cluster_header: '', timeout: '0s' };
    expect(validateResource(r)[0]).toMatch(
      /^RouteConfiguration\.virtual_hosts\[1\]\.routes\[0\]\.route\.cluster_header: value length must be at least 1 characters/,
    );
  });
});
