import { describe, expect, it } from 'vitest';
import { gateway, push, routerProxy, sidecarProxy } from './fixtures.ts';

const server = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] };

describe('Gateway selection', () => {
  it('a Gateway applies to router proxies whose labels include its selector, from any namespace, oldest first', () => {
    const pc = push([
      gateway(
        'newer',
        'apps',
        { selector: { istio: 'ingressgateway' }, servers: [server] },
        { creationTimestamp: '2024-02-01T00:00:00Z' },
      ),
      gateway(
        'older',
        'istio-system',
        { selector: { istio: 'ingressgateway' }, servers: [server] },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      gateway('egress', 'istio-system', {
        selector: { istio: 'egressgateway' },
        servers: [server],
      }),
    ]);
    const ingress = routerProxy('istio-system', {
      istio: 'ingressgateway',
      app: 'istio-ingressgateway',
    });
    expect(
      pc.gatewaysFor(ingress).map((g) => `${g.metadata.namespace}/${g.metadata.name}`),
    ).toEqual(['istio-system/older', 'apps/newer']);
    expect(
      pc
        .gatewaysFor(routerProxy('istio-system', { istio: 'egressgateway' }))
        .map((g) => g.metadata.name),
    ).toEqual(['egress']);
    expect(pc.gatewaysFor(routerProxy('istio-system', { app: 'other' }))).toEqual([]);
  });

  it('a Gateway without selector selects every gateway workload, never a sidecar', () => {
    const pc = push([gateway('any', 'default', { servers: [server] })]);
    expect(pc.gatewaysFor(routerProxy('x', { a: 'b' })).map((g) => g.metadata.name)).toEqual([
      'any',
    ]);
    expect(
      pc.gatewaysFor(sidecarProxy('default', { labels: { istio: 'ingressgateway' } })),
    ).toEqual([]);
  });

  it('gateway(ns/name) finds a Gateway by the name VirtualServices use', () => {
    const pc = push([
      gateway('public', 'istio-system', {
        selector: { istio: 'ingressgateway' },
        servers: [server],
      }),
    ]);
    expect(pc.gateway?.('istio-system/public')?.spec.servers[0]!.port.number).toBe(80);
    expect(pc.gateway?.('default/public')).toBeUndefined();
  });
});
