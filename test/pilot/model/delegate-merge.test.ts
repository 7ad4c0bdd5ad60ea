import { describe, expect, it } from 'vitest';
import { push, sidecarProxy, virtualService } from './fixtures.ts';

const root = (http: unknown[], extra: Record<string, unknown> = {}) =>
  virtualService('root', 'front', {
    hosts: ['www.example.com'],
    gateways: ['istio-system/ingress'],
    http,
    ...extra,
  });

describe('VirtualService delegation', () => {
  it('a delegating route is replaced by the delegate’s routes, each within the root’s match, destinations resolved in the delegate’s namespace', () => {
    const pc = push([
      root([
        {
          name: 'reviews',
          match: [{ uri: { prefix: '/reviews' } }],
          delegate: { name: 'reviews-routes', namespace: 'team' },
          timeout: '5s',
        },
        { route: [{ destination: { host: 'web' } }] },
      ]),
      virtualService('reviews-routes', 'team', {
        http: [
          {
            name: 'v2',
            match: [{ uri: { prefix: '/reviews/v2' }, headers: { user: { exact: 'jason' } } }],
            route: [{ destination: { host: 'reviews', subset: 'v2' } }],
          },
          { route: [{ destination: { host: 'reviews', subset: 'v1' } }], timeout: '1s' },
        ],
      }),
    ]);
    const [vs] = pc.virtualServicesForGateway('istio-system/ingress', 'front');
    const http = vs!.spec.http!;
    expect(http.map((r) => r.name)).toEqual(['reviews-v2', 'reviews', undefined]);
    expect(http[0]!.match).toEqual([
      { uri: { prefix: '/reviews/v2' }, headers: { user: { exact: 'jason' } } },
    ]);
    expect(http[0]!.route![0]!.destination.host).toBe('reviews.team.svc.cluster.local');
    expect(http[0]!.timeout).toBe('5s');
    expect(http[1]!.match).toEqual([{ uri: { prefix: '/reviews' } }]);
    expect(http[1]!.timeout).toBe('1s');
    expect(http[2]!.route![0]!.destination.host).toBe('web.front.svc.cluster.local');
    expect(http.some((r) => r.delegate)).toBe(false);
  });

  it('a delegate route whose match cannot lie within the root’s match is dropped', () => {
    const pc = push([
      root([
        { match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'd', namespace: 'front' } },
      ]),
      virtualService('d', 'front', {
        http: [
          {
            match: [{ uri: { prefix: '/ratings' } }],
            route: [{ destination: { host: 'ratings' } }],
          },
          {
            match: [{ uri: { exact: '/reviews/1' } }],
            route: [{ destination: { host: 'reviews' } }],
          },
        ],
      }),
    ]);
    const http = pc.virtualServicesForGateway('istio-system/ingress', 'front')[0]!.spec.http!;
    expect(http.map((r) => r.match?.[0]?.uri)).toEqual([{ exact: '/reviews/1' }]);
  });

  it('a missing delegate, or one not exported to the root’s namespace, drops the delegating route', () => {
    const pc = push([
      root([
        { delegate: { name: 'private', namespace: 'team' } },
        { delegate: { name: 'nowhere', namespace: 'team' } },
        { route: [{ destination: { host: 'web' } }] },
      ]),
      virtualService('private', 'team', {
        exportTo: ['.'],
        http: [{ route: [{ destination: { host: 'x' } }] }],
      }),
    ]);
    const http = pc.virtualServicesForGateway('istio-system/ingress', 'front')[0]!.spec.http!;
    expect(http.map((r) => r.route?.[0]?.destination.host)).toEqual([
      'web.front.svc.cluster.local',
    ]);
  });

  it('a delegate short name means the root’s namespace', () => {
    const pc = push([
      virtualService('root', 'front', {
        hosts: ['www.example.com'],
        http: [{ delegate: { name: 'd' } }],
      }),
      virtualService('d', 'front', { http: [{ route: [{ destination: { host: 'x' } }] }] }),
    ]);
    expect(
      pc.virtualServicesForSidecar(sidecarProxy('front'))[0]!.spec.http![0]!.route![0]!.destination
        .host,
    ).toBe('x.front.svc.cluster.local');
  });
});
