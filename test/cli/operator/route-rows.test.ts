// Route rows: istioctl's domain shortening, matches, passthrough routes left
// out, an empty virtual host shown as 404, numeric route names in order.
import { describe, expect, it } from 'vitest';
import { describeDomains, routeRows } from '../../../cli/operator/route-rows.ts';

describe('describeDomains', () => {
  it('keeps port-less names, drops expanded forms of listed short ones, and counts the rest', () => {
    expect(describeDomains(['*'])).toBe('*');
    expect(
      describeDomains([
        'reviews.default.svc.cluster.local',
        'reviews.default.svc.cluster.local:9080',
      ]),
    ).toBe('reviews.default.svc.cluster.local');
    expect(
      describeDomains([
        'reviews',
        'reviews:9080',
        'reviews.default',
        'reviews.default.svc',
        'reviews.default.svc.cluster.local',
        '10.96.1.12',
      ]),
    ).toBe('reviews, reviews.default + 1 more...');
  });
});

describe('routeRows', () => {
  it('lists routes per virtual host with their VirtualService', () => {
    const vsMeta = {
      filter_metadata: {
        istio: { config: '/apis/networking.istio.io/v1/namespaces/shop/virtual-service/cart' },
      },
    };
    const rows = routeRows([
      {
        name: 'http.8080',
        status: 'ACTIVE',
        resource: { virtual_hosts: [{ name: 'blackhole:8080', domains: ['*'], routes: [] }] },
      },
      {
        name: '9080',
        status: 'ACTIVE',
        resource: {
          virtual_hosts: [
            {
              name: 'cart.shop.svc.cluster.local:9080',
              domains: ['cart.shop.svc.cluster.local'],
              routes: [
                { match: { path: '/checkout' }, route: { cluster: 'x' }, metadata: vsMeta },
                {
                  match: { safe_regex: { regex: '/items/[0-9]+' } },
                  route: { cluster: 'x' },
                  metadata: vsMeta,
                },
                { match: { prefix: '/' }, route: { cluster: 'x' }, metadata: vsMeta },
              ],
            },
            {
              name: 'allow_any',
              domains: ['*'],
              routes: [{ match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }],
            },
          ],
        },
      },
      { name: '80', status: 'ACTIVE', resource: { virtual_hosts: [] } },
    ]);
    expect(rows).toEqual([
      [
        '9080',
        'cart.shop.svc.cluster.local:9080',
        'cart.shop.svc.cluster.local',
        '/checkout',
        'cart.shop',
      ],
      [
        '9080',
        'cart.shop.svc.cluster.local:9080',
        'cart.shop.svc.cluster.local',
        'regex /items/[0-9]+',
        'cart.shop',
      ],
      [
        '9080',
        'cart.shop.svc.cluster.local:9080',
        'cart.shop.svc.cluster.local',
        '/*',
        'cart.shop',
      ],
      ['http.8080', 'blackhole:8080', '*', '/*', '404'],
    ]);
  });
});
