import { describe, expect, it } from 'vitest';
import { namespaceObj, push, service, sidecarProxy, virtualService } from './fixtures.ts';
import { resolveGatewayName } from '../../../pilot/model/virtual-service-index.ts';

const route = (host: string) => [{ route: [{ destination: { host } }] }];

describe('VirtualServices', () => {
  it('short names in hosts, destinations and mirrors resolve relative to the VirtualService’s namespace', () => {
    const pc = push([
      namespaceObj('prod'),
      virtualService('r', 'default', {
        hosts: ['reviews', 'ratings.prod', 'www.example.com', '*.example.org'],
        http: [
          {
            route: [
              { destination: { host: 'reviews', subset: 'v1' } },
              { destination: { host: 'ratings.prod' } },
            ],
            mirror: { host: 'shadow' },
          },
        ],
        tcp: [{ route: [{ destination: { host: 'db' } }] }],
      }),
    ]);
    const [vs] = pc.virtualServicesForSidecar(sidecarProxy('default'));
    expect(vs!.spec.hosts).toEqual([
      'reviews.default.svc.cluster.local',
      'ratings.prod.svc.cluster.local',
      'www.example.com',
      '*.example.org',
    ]);
    expect(vs!.spec.http![0]!.route!.map((d) => d.destination.host)).toEqual([
      'reviews.default.svc.cluster.local',
      'ratings.prod.svc.cluster.local',
    ]);
    expect(vs!.spec.http![0]!.mirror!.host).toBe('shadow.default.svc.cluster.local');
    expect(vs!.spec.tcp![0]!.route[0]!.destination.host).toBe('db.default.svc.cluster.local');
  });

  it('resolveHost leaves FQDNs, IPs, wildcards and unknown two-label names alone', () => {
    const pc = push([namespaceObj('prod')]);
    expect(pc.resolveHost('reviews', 'default')).toBe('reviews.default.svc.cluster.local');
    expect(pc.resolveHost('reviews.prod', 'default')).toBe('reviews.prod.svc.cluster.local');
    expect(pc.resolveHost('example.com', 'default')).toBe('example.com');
    expect(pc.resolveHost('a.b.c', 'default')).toBe('a.b.c');
    expect(pc.resolveHost('*.example.com', 'default')).toBe('*.example.com');
    expect(pc.resolveHost('*', 'default')).toBe('*');
    expect(pc.resolveHost('10.0.0.1', 'default')).toBe('10.0.0.1');
  });

  it('gateway names resolve as Istio does: short, "./name", "ns/name", legacy FQDN, and mesh', () => {
    expect(resolveGatewayName('gw', 'default')).toBe('default/gw');
    expect(resolveGatewayName('./gw', 'default')).toBe('default/gw');
    expect(resolveGatewayName('istio-system/gw', 'default')).toBe('istio-system/gw');
    expect(resolveGatewayName('gw.istio-system.svc.cluster.local', 'default')).toBe(
      'istio-system/gw',
    );
    expect(resolveGatewayName('gw.istio-system', 'default')).toBe('istio-system/gw');
    expect(resolveGatewayName('mesh', 'default')).toBe('mesh');
  });

  it('several VirtualServices for one host are all kept, oldest first, then by name', () => {
    const pc = push([
      virtualService(
        'b-new',
        'default',
        { hosts: ['reviews'], http: route('reviews') },
        { creationTimestamp: '2024-03-01T00:00:00Z' },
      ),
      virtualService(
        'z-old',
        'default',
        { hosts: ['reviews'], http: route('reviews') },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      virtualService(
        'a-new',
        'default',
        { hosts: ['reviews'], http: route('reviews') },
        { creationTimestamp: '2024-03-01T00:00:00Z' },
      ),
    ]);
    expect(
      pc.virtualServicesForSidecar(sidecarProxy('default')).map((v) => v.metadata.name),
    ).toEqual(['z-old', 'a-new', 'b-new']);
  });

  it('a VirtualService binds to sidecars when gateways is empty or lists mesh, and to each named gateway', () => {
    const pc = push([
      virtualService('mesh-only', 'default', { hosts: ['a'], http: route('a') }),
      virtualService('gw-only', 'default', {
        hosts: ['www.example.com'],
        gateways: ['public'],
        http: route('a'),
      }),
      virtualService('both', 'default', {
        hosts: ['b'],
        gateways: ['mesh', 'istio-system/ingress'],
        http: route('b'),
      }),
    ]);
    expect(
      pc
        .virtualServicesForSidecar(sidecarProxy('default'))
        .map((v) => v.metadata.name)
        .sort(),
    ).toEqual(['both', 'mesh-only']);
    expect(pc.virtualServicesForGateway('default/public').map((v) => v.metadata.name)).toEqual([
      'gw-only',
    ]);
    expect(
      pc.virtualServicesForGateway('istio-system/ingress').map((v) => v.metadata.name),
    ).toEqual(['both']);
    expect(pc.virtualServicesForGateway('default/ingress')).toEqual([]);
    expect(pc.virtualServicesForGateway('default/public')[0]!.spec.gateways).toEqual([
      'default/public',
    ]);
  });

  it('gateway-bound VirtualServices are filtered by exportTo as seen from the gateway workload’s namespace', () => {
    const pc = push([
      virtualService('priv', 'apps', {
        hosts: ['www.example.com'],
        gateways: ['istio-system/ingress'],
        exportTo: ['.'],
        http: route('a'),
      }),
    ]);
    expect(pc.virtualServicesForGateway('istio-system/ingress')).toEqual([]);
    expect(
      pc.virtualServicesForGateway('istio-system/ingress', 'apps').map((v) => v.metadata.name),
    ).toEqual(['priv']);
  });

  it('match-level gateways are resolved too, and a VirtualService without hosts (a delegate) is not bound anywhere', () => {
    const pc = push([
      virtualService('root', 'default', {
        hosts: ['a'],
        gateways: ['mesh', 'gw'],
        http: [{ match: [{ gateways: ['gw'] }], route: [{ destination: { host: 'a' } }] }],
      }),
      virtualService('delegate', 'default', { http: route('a') }),
    ]);
    expect(
      pc.virtualServicesForGateway('default/gw')[0]!.spec.http![0]!.match![0]!.gateways,
    ).toEqual(['default/gw']);
    expect(
      pc.virtualServicesForSidecar(sidecarProxy('default')).map((v) => v.metadata.name),
    ).toEqual(['root']);
    expect(pc.virtualService?.('default', 'delegate')?.spec.hosts).toBeUndefined();
  });

  it('the VirtualServices handed out are frozen copies; the snapshot’s objects keep their short names', () => {
    const objects = [
      service('a', 'default', [{ name: 'http', port: 80 }]),
      virtualService('r', 'default', { hosts: ['a'], http: route('a') }),
    ];
    const pc = push(objects);
    const [vs] = pc.virtualServicesForSidecar(sidecarProxy('default'));
    expect(Object.isFrozen(vs)).toBe(true);
    expect(Object.isFrozen(vs!.spec.hosts)).toBe(true);
    expect(() => (vs!.spec.hosts as string[]).push('x')).toThrow(TypeError);
    expect((objects[1]!.spec as { hosts: string[] }).hosts).toEqual(['a']);
  });
});
