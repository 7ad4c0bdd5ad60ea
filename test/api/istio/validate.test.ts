import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../api/istio/validate.ts';
import type { ConfigObject } from '../../../api/config/object.ts';

const vs = (spec: unknown): ConfigObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec,
});

describe('validateConfig', () => {
  it('accepts a valid VirtualService with no errors or warnings', () => {
    const r = validateConfig(
      vs({
        hosts: ['reviews'],
        http: [
          {
            match: [{ headers: { 'end-user': { exact: 'jason' } } }],
            route: [{ destination: { host: 'reviews', subset: 'v2' } }],
          },
          {
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'v3' }, weight: 10 },
            ],
            timeout: '1.5s',
          },
        ],
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('names kind, object and field path of an out-of-range weight', () => {
    const r = validateConfig(
      vs({
        hosts: ['reviews'],
        http: [
          { route: [{ destination: { host: 'a' } }, { destination: { host: 'b' }, weight: 120 }] },
        ],
      }),
    );
    expect(r.errors).toEqual([
      'virtualservice default/reviews: spec.http[0].route[1].weight: must be 0..100',
    ]);
  });

  it('reports an unknown field as an error', () => {
    const r = validateConfig(
      vs({ hosts: ['reviews'], http: [{ route: [{ destination: { host: 'a', subst: 'v1' } }] }] }),
    );
    expect(r.errors).toEqual([
      'virtualservice default/reviews: spec.http[0].route[0].destination.subst: unknown field',
    ]);
  });

  it('reports wrong types, missing required fields and bad durations', () => {
    const r = validateConfig(
      vs({ hosts: 'reviews', http: [{ route: [{ weight: 100 }], timeout: 'soon' }] }),
    );
    expect(r.errors).toContain('virtualservice default/reviews: spec.hosts: must be an array');
    expect(r.errors).toContain(
      'virtualservice default/reviews: spec.http[0].route[0].destination: is required',
    );
    expect(
      r.errors.some((e) =>
        e.startsWith('virtualservice default/reviews: spec.http[0].timeout: must be a duration'),
      ),
    ).toBe(true);
  });

  it('rejects a route with both route and redirect', () => {
    const r = validateConfig(
      vs({
        hosts: ['x'],
        http: [{ route: [{ destination: { host: 'a' } }], redirect: { uri: '/b' } }],
      }),
    );
    expect(r.errors).toEqual([
      'virtualservice default/reviews: spec.http[0].redirect: cannot be set together with route',
    ]);
  });

  it('warns, naming the field, about valid Istio that Petrel does not act on', () => {
    const r = validateConfig(
      vs({
        hosts: ['x'],
        http: [{ route: [{ destination: { host: 'a' } }] }, { delegate: { name: 'd' } }],
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'virtualservice default/reviews: spec.http[1].delegate: not supported by Petrel yet; ignored',
    ]);
  });

  it('rejects an unknown apiVersion/kind pair and a bad name', () => {
    expect(
      validateConfig({
        apiVersion: 'networking.istio.io/v2',
        kind: 'Gateway',
        metadata: { name: 'g' },
      }).errors,
    ).toEqual([
      'gateway g: apiVersion networking.istio.io/v2, kind Gateway: not a kind Petrel accepts',
    ]);
    const bad = validateConfig({
      ...vs({ hosts: ['x'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
      metadata: { name: 'Bad_Name' },
    });
    expect(bad.errors).toEqual([
      'virtualservice Bad_Name: metadata.name: must be a lowercase DNS-1123 subdomain',
    ]);
  });

  it('validates DestinationRule subsets and load balancer oneofs', () => {
    const r = validateConfig({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: {
        host: 'reviews',
        trafficPolicy: {
          loadBalancer: { simple: 'ROUND_ROBIN', consistentHash: { useSourceIp: true } },
        },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v1' }],
      },
    });
    expect(r.errors).toEqual([
      'destinationrule default/reviews: spec.trafficPolicy.loadBalancer: must set only one of simple, consistentHash',
      'destinationrule default/reviews: spec.subsets[1].name: duplicate subset name "v1"',
    ]);
  });

  it('checks Gateway servers and ServiceEntry resolution rules', () => {
    const gw = validateConfig({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'istio-system' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 80, protocol: 'SMTP', name: 'x' }, hosts: [] }],
      },
    });
    expect(gw.errors).toEqual([
      'gateway istio-system/gw: spec.servers[0].port.protocol: must be one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP, TLS, UDP, REDIS, MYSQL',
      'gateway istio-system/gw: spec.servers[0].hosts: must list at least one host',
    ]);
    const se = validateConfig({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'ext', namespace: 'default' },
      spec: {
        hosts: ['ext.example.com'],
        resolution: 'STATIC',
        ports: [{ number: 80, name: 'http' }],
        endpoints: [{ labels: { a: 'b' } }],
      },
    });
    expect(se.errors).toEqual([
      'serviceentry default/ext: spec.endpoints[0].address: is required with resolution STATIC',
    ]);
  });
});
