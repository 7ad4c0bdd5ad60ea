import { describe, expect, test } from 'vitest';
import { TypeUrl, decodeAny, encodeResource } from '../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../pilot/translate/types.ts';
import { encodeByContent } from '../../../pilot/xds/encode-cache.ts';
import { clusterResource, routeResource } from './fixtures.ts';

function routeConfig(hosts: number, extra: Record<string, unknown> = {}): EnvoyResource {
  const base = routeResource('9080', 'outbound|9080||a.default.svc.cluster.local').resource;
  return {
    ...base,
    virtual_hosts: Array.from({ length: hosts }, (_, i) => ({
      name: `h${i}.default.svc.cluster.local:9080`,
      domains: [`h${i}.default.svc.cluster.local`, `h${i}`],
      routes: [
        { match: { prefix: '/' }, route: { cluster: `outbound|9080||h${i}`, timeout: '2s' } },
      ],
    })),
    validate_clusters: { value: false },
    ...extra,
  };
}

describe('encoding by content', () => {
  test('an equal new object gets the same bytes without being encoded again', () => {
    const a = encodeByContent(clusterResource('outbound|80||x').resource);
    const b = encodeByContent(clusterResource('outbound|80||x').resource);
    expect(b.any.value).toBe(a.any.value);
    expect(b.version).toBe(a.version);
    const c = encodeByContent(clusterResource('outbound|80||y').resource);
    expect(c.version).not.toBe(a.version);
  });

  test('a route configuration encoded by its virtual hosts decodes to the same configuration', () => {
    const config = routeConfig(200);
    const ours = encodeByContent(config);
    expect(ours.any.type_url).toBe(TypeUrl.RouteConfiguration);
    expect(decodeAny(ours.any)).toEqual(decodeAny(encodeResource(config)));
  });

  test('one changed virtual host changes the version; an unchanged configuration keeps it', () => {
    const before = encodeByContent(routeConfig(50));
    expect(encodeByContent(routeConfig(50)).version).toBe(before.version);
    const config = routeConfig(50);
    (config.virtual_hosts as { domains: string[] }[])[7]!.domains.push('h7.default');
    const after = encodeByContent(config);
    expect(after.version).not.toBe(before.version);
    expect(decodeAny(after.any)).toEqual(decodeAny(encodeResource(config)));
  });

  test('a bad virtual host is reported with its index and name', () => {
    const config = routeConfig(3);
    (config.virtual_hosts as Record<string, unknown>[])[1]!.bogus_field = 1;
    expect(() => encodeByContent(config)).toThrow(
      /virtual_hosts\[1\] \(h1\.default\.svc\.cluster\.local:9080\):.*bogus_field/,
    );
  });

  test('a bad top-level field of a route configuration is still rejected', () => {
    expect(() => encodeByContent(routeConfig(1, { not_a_field: true }))).toThrow(/not_a_field/);
  });
});
