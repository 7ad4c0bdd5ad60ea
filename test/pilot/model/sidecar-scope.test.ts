import { describe, expect, it } from 'vitest';
import {
  hostnames,
  push,
  routerProxy,
  service,
  serviceEntry,
  sidecar,
  sidecarProxy,
  virtualService,
} from './fixtures.ts';

const svc = (name: string, ns: string) => service(name, ns, [{ name: 'http', port: 80 }]);
const world = [
  svc('a', 'ns1'),
  svc('b', 'ns1'),
  svc('c', 'ns2'),
  svc('d', 'ns3'),
  serviceEntry('ext', 'ns2', {
    hosts: ['api.example.com'],
    ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
    resolution: 'DNS',
  }),
];
const short = (list: readonly { hostname: string }[]) =>
  hostnames(list).map((h) => h.replace('.svc.cluster.local', ''));

describe('Sidecar scoping', () => {
  it('without any Sidecar a proxy sees every service exported to its namespace', () => {
    expect(short(push(world).servicesFor(sidecarProxy('ns1')))).toEqual([
      'a.ns1',
      'api.example.com',
      'b.ns1',
      'c.ns2',
      'd.ns3',
    ]);
  });

  it('egress hosts "./*" and "ns2/*" import the own namespace and ns2 only', () => {
    const pc = push([
      ...world,
      sidecar('default', 'ns1', { egress: [{ hosts: ['./*', 'ns2/*'] }] }),
    ]);
    expect(short(pc.servicesFor(sidecarProxy('ns1')))).toEqual([
      'a.ns1',
      'api.example.com',
      'b.ns1',
      'c.ns2',
    ]);
  });

  it('"*/host" imports a host from any namespace; "~/*" imports nothing', () => {
    const pc = push([
      ...world,
      sidecar('default', 'ns1', { egress: [{ hosts: ['*/d.ns3.svc.cluster.local', '~/*'] }] }),
    ]);
    expect(short(pc.servicesFor(sidecarProxy('ns1')))).toEqual(['d.ns3']);
  });

  it('wildcard dns names in egress hosts match by suffix', () => {
    const pc = push([
      ...world,
      sidecar('default', 'ns1', {
        egress: [{ hosts: ['*/*.example.com', 'ns1/a.ns1.svc.cluster.local'] }],
      }),
    ]);
    expect(short(pc.servicesFor(sidecarProxy('ns1')))).toEqual(['a.ns1', 'api.example.com']);
  });

  it('a Sidecar with a matching workloadSelector wins over the namespace default', () => {
    const pc = push([
      ...world,
      sidecar(
        'default',
        'ns1',
        { egress: [{ hosts: ['./*'] }] },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      sidecar('special', 'ns1', {
        workloadSelector: { labels: { app: 'special' } },
        egress: [{ hosts: ['ns3/*'] }],
      }),
    ]);
    expect(pc.sidecarFor(sidecarProxy('ns1', { labels: { app: 'special' } }))?.metadata.name).toBe(
      'special',
    );
    expect(short(pc.servicesFor(sidecarProxy('ns1', { labels: { app: 'special' } })))).toEqual([
      'd.ns3',
    ]);
    expect(pc.sidecarFor(sidecarProxy('ns1', { labels: { app: 'other' } }))?.metadata.name).toBe(
      'default',
    );
    expect(short(pc.servicesFor(sidecarProxy('ns1', { labels: { app: 'other' } })))).toEqual([
      'a.ns1',
      'b.ns1',
    ]);
  });

  it('the root namespace Sidecar is the mesh default, with "." meaning the workload’s namespace', () => {
    const pc = push([
      ...world,
      sidecar('default', 'istio-system', { egress: [{ hosts: ['./*', 'istio-system/*'] }] }),
    ]);
    expect(pc.sidecarFor(sidecarProxy('ns2'))?.metadata.namespace).toBe('istio-system');
    expect(short(pc.servicesFor(sidecarProxy('ns2')))).toEqual(['api.example.com', 'c.ns2']);
    expect(short(pc.servicesFor(sidecarProxy('ns3')))).toEqual(['d.ns3']);
  });

  it('a namespace’s own Sidecar wins over the root default', () => {
    const pc = push([
      ...world,
      sidecar('default', 'istio-system', { egress: [{ hosts: ['./*'] }] }),
      sidecar('mine', 'ns3', { egress: [{ hosts: ['ns1/*'] }] }),
    ]);
    expect(short(pc.servicesFor(sidecarProxy('ns3')))).toEqual(['a.ns1', 'b.ns1']);
  });

  it('a Sidecar without egress imports everything; gateways are never scoped by Sidecars', () => {
    const pc = push([
      ...world,
      sidecar('ingress-only', 'ns1', {
        ingress: [
          {
            port: { number: 80, protocol: 'HTTP', name: 'http' },
            defaultEndpoint: '127.0.0.1:8080',
          },
        ],
      }),
      sidecar('default', 'istio-system', { egress: [{ hosts: ['./*'] }] }),
    ]);
    expect(short(pc.servicesFor(sidecarProxy('ns1')))).toHaveLength(5);
    const gw = routerProxy('ns3', { istio: 'ingressgateway' });
    expect(pc.sidecarFor(gw)).toBeUndefined();
    expect(short(pc.servicesFor(gw))).toHaveLength(5);
  });

  it('egress hosts select VirtualServices by the VirtualService’s namespace and hosts, and import their destinations', () => {
    const pc = push([
      ...world,
      virtualService('to-d', 'ns1', {
        hosts: ['a.ns1.svc.cluster.local'],
        http: [{ route: [{ destination: { host: 'd.ns3.svc.cluster.local' } }] }],
      }),
      virtualService('in-ns2', 'ns2', {
        hosts: ['c.ns2.svc.cluster.local'],
        http: [{ route: [{ destination: { host: 'c' } }] }],
      }),
      sidecar('default', 'ns1', { egress: [{ hosts: ['./*'] }] }),
    ]);
    const proxy = sidecarProxy('ns1');
    expect(pc.virtualServicesForSidecar(proxy).map((v) => v.metadata.name)).toEqual(['to-d']);
    expect(short(pc.servicesFor(proxy))).toEqual(['a.ns1', 'b.ns1', 'd.ns3']);
  });
});
