import { describe, expect, test } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { endpointPushScope } from '../../../../pilot/translate/endpoint/push-scope.ts';
import { CLUSTER_LOAD_ASSIGNMENT } from '../../../../pilot/translate/common/type-urls.ts';
import {
  endpointSlice,
  pod,
  push,
  service,
  serviceEntry,
  sidecarProxy,
} from '../../model/fixtures.ts';

const REVIEWS = 'reviews.default.svc.cluster.local';
const RATINGS = 'ratings.default.svc.cluster.local';
const PORTS = [{ name: 'http', port: 9080 }];

function mesh(reviewsIps: string[], reviewsAccount = 'reviews'): ConfigObject[] {
  return [
    service('reviews', 'default', PORTS),
    service('ratings', 'default', PORTS),
    ...reviewsIps.map((ip, i) =>
      pod(`reviews-${i}`, 'default', {
        ip,
        labels: { app: 'reviews' },
        serviceAccount: reviewsAccount,
      }),
    ),
    endpointSlice(
      'reviews',
      'default',
      PORTS,
      reviewsIps.map((ip, i) => ({ ip, pod: `reviews-${i}` })),
    ),
    endpointSlice('ratings', 'default', PORTS, [{ ip: '10.0.2.1' }]),
  ];
}

const REVIEWS_CHANGED = [{ hostname: REVIEWS, namespace: 'default' }];

describe('endpoint push scope', () => {
  test('a moved endpoint touches only the assignments of its host', () => {
    const scope = endpointPushScope(
      push(mesh(['10.0.1.1', '10.0.1.2'])),
      push(mesh(['10.0.1.1', '10.0.1.3'])),
      REVIEWS_CHANGED,
    )!;
    expect(scope).toBeDefined();
    expect([...scope.hosts]).toEqual([REVIEWS]);
    const affects = (name: string) => scope.affects(CLUSTER_LOAD_ASSIGNMENT, name);
    expect(affects(`outbound|9080||${REVIEWS}`)).toBe(true);
    expect(affects(`outbound|9080|v1|${REVIEWS}`)).toBe(true);
    expect(affects(`outbound|9080||${RATINGS}`)).toBe(false);
    // A host that only ends like the changed one is another host.
    expect(affects(`outbound|9080||my${REVIEWS}`)).toBe(false);
    expect(affects('inbound|9080||')).toBe(false);
  });

  test('an AUTO_PASSTHROUGH gateway\u2019s SNI-DNAT assignments of the host are touched too, grouped by host', () => {
    const scope = endpointPushScope(
      push(mesh(['10.0.1.1', '10.0.1.2'])),
      push(mesh(['10.0.1.1', '10.0.1.3'])),
      REVIEWS_CHANGED,
    )!;
    const affects = (name: string) => scope.affects(CLUSTER_LOAD_ASSIGNMENT, name);
    expect(affects(`outbound_.9080_._.${REVIEWS}`)).toBe(true);
    expect(affects(`outbound_.9080_.v1_.${REVIEWS}`)).toBe(true);
    expect(affects(`outbound_.9080_._.${RATINGS}`)).toBe(false);
    expect(affects(`outbound_.9080_._.my${REVIEWS}`)).toBe(false);
    expect(scope.grouping.keyOf(`outbound_.9080_.v1_.${REVIEWS}`)).toBe(REVIEWS);
    expect(scope.grouping.keyOf('BlackHoleCluster')).toBe('');
  });

  test('many changed hosts are matched as well as few', () => {
    const changed = [...REVIEWS_CHANGED];
    const objects = mesh(['10.0.1.1']);
    for (let i = 0; i < 10; i++) {
      objects.push(service(`s${i}`, 'default', PORTS));
      changed.push({ hostname: `s${i}.default.svc.cluster.local`, namespace: 'default' });
    }
    const scope = endpointPushScope(push(objects), push(objects), changed)!;
    expect(scope.affects(CLUSTER_LOAD_ASSIGNMENT, `outbound|9080||${REVIEWS}`)).toBe(true);
    expect(scope.affects(CLUSTER_LOAD_ASSIGNMENT, `outbound|9080||${RATINGS}`)).toBe(false);
  });

  test('the proxy whose own address joined or left the endpoints needs a full push', () => {
    const scope = endpointPushScope(
      push(mesh(['10.0.1.1', '10.0.1.2'])),
      push(mesh(['10.0.1.1', '10.0.1.3'])),
      REVIEWS_CHANGED,
    )!;
    expect(scope.needsFull(sidecarProxy('default', { ip: '10.0.1.2' }))).toBe(true);
    expect(scope.needsFull(sidecarProxy('default', { ip: '10.0.1.3' }))).toBe(true);
    expect(scope.needsFull(sidecarProxy('default', { ip: '10.0.1.1' }))).toBe(false);
    expect(scope.needsFull(sidecarProxy('default', { ip: '10.9.9.9', pod: 'reviews-1' }))).toBe(
      true,
    );
  });

  test('a change of workload identities needs a full push (cluster SAN checks list them)', () => {
    expect(
      endpointPushScope(
        push(mesh(['10.0.1.1'], 'reviews')),
        push(mesh(['10.0.1.1'], 'reviews-v2')),
        REVIEWS_CHANGED,
      ),
    ).toBeUndefined();
  });

  test('a service that changed itself, or has no EDS cluster, needs a full push', () => {
    const before = mesh(['10.0.1.1']);
    const renamedPort = mesh(['10.0.1.1']);
    renamedPort[0] = service('reviews', 'default', [{ name: 'http', port: 9081 }]);
    expect(endpointPushScope(push(before), push(renamedPort), REVIEWS_CHANGED)).toBeUndefined();

    const dns = (address: string) => [
      serviceEntry('ext', 'default', {
        hosts: ['ext.example.com'],
        ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
        resolution: 'DNS',
        endpoints: [{ address }],
      }),
    ];
    expect(
      endpointPushScope(push(dns('a.example.com')), push(dns('b.example.com')), [
        { hostname: 'ext.example.com', namespace: 'default' },
      ]),
    ).toBeUndefined();
  });

  test('endpoints of a service that exists on neither side need a full push', () => {
    const objects = mesh(['10.0.1.1']);
    expect(
      endpointPushScope(push(objects), push(objects), [
        { hostname: 'gone.default.svc.cluster.local', namespace: 'default' },
      ]),
    ).toBeUndefined();
  });
});
