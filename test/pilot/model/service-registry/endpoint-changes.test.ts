import { describe, expect, test } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import type { ConfigEvent } from '../../../../pilot/config/types.ts';
import {
  isEndpointOnlyChange,
  servicesOfEndpointKeys,
} from '../../../../pilot/model/service-registry/endpoint-changes.ts';
import { endpointSlice, serviceEntry, snapshotOf } from '../fixtures.ts';

const PORTS = [{ name: 'http', port: 9080 }];

function entry(endpoints: string[], extra: Record<string, unknown> = {}): ConfigObject {
  return serviceEntry('ext', 'web', {
    hosts: ['api.example.com', 'api2.example.com'],
    ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
    resolution: 'STATIC',
    endpoints: endpoints.map((address) => ({ address })),
    ...extra,
  });
}

const update = (previous: ConfigObject, object: ConfigObject): ConfigEvent => ({
  type: 'update',
  kind: object.kind,
  key: `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
  object,
  previous,
});

describe('endpoint changes', () => {
  test('EndpointSlice and Endpoints changes are about endpoints only', () => {
    const slice = endpointSlice('reviews', 'default', PORTS, [{ ip: '10.0.0.1' }]);
    expect(isEndpointOnlyChange(update(slice, slice))).toBe(true);
    expect(isEndpointOnlyChange({ ...update(slice, slice), kind: 'Endpoints' })).toBe(true);
  });

  test('a ServiceEntry update is endpoint-only when nothing but spec.endpoints changed', () => {
    expect(isEndpointOnlyChange(update(entry(['1.1.1.1']), entry(['2.2.2.2'])))).toBe(true);
    expect(
      isEndpointOnlyChange(update(entry(['1.1.1.1']), entry(['1.1.1.1'], { resolution: 'DNS' }))),
    ).toBe(false);
    const relabelled = { ...entry(['1.1.1.1']) };
    relabelled.metadata = { ...relabelled.metadata, labels: { team: 'x' } };
    expect(isEndpointOnlyChange(update(entry(['1.1.1.1']), relabelled))).toBe(false);
    const added: ConfigEvent = { ...update(entry([]), entry([])), type: 'add' };
    delete added.previous;
    expect(isEndpointOnlyChange(added)).toBe(false);
  });

  test('keys map to the services whose endpoints they carry, from either snapshot', () => {
    const slice = endpointSlice('reviews', 'default', PORTS, [{ ip: '10.0.0.1' }]);
    const before = snapshotOf([slice, entry(['1.1.1.1'])]);
    // The slice is gone after the change: its service comes from the snapshot before.
    const after = snapshotOf([entry(['2.2.2.2'])]);
    const refs = servicesOfEndpointKeys(
      ['EndpointSlice/default/reviews-abc', 'Endpoints/default/ratings', 'ServiceEntry/web/ext'],
      before,
      after,
      'cluster.local',
    );
    expect(refs).toEqual([
      { hostname: 'reviews.default.svc.cluster.local', namespace: 'default' },
      { hostname: 'ratings.default.svc.cluster.local', namespace: 'default' },
      { hostname: 'api.example.com', namespace: 'web' },
      { hostname: 'api2.example.com', namespace: 'web' },
    ]);
  });

  test('a key of another kind makes the change a full one', () => {
    const snap = snapshotOf([]);
    expect(
      servicesOfEndpointKeys(['VirtualService/default/reviews'], snap, snap, 'cluster.local'),
    ).toBeUndefined();
    expect(servicesOfEndpointKeys(['not-a-key'], snap, snap, 'cluster.local')).toBeUndefined();
  });
});
