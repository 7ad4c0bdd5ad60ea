import { describe, expect, it } from 'vitest';
import {
  endpointSlice,
  namespaceObj,
  push,
  service,
  sidecarProxy,
  snapshotOf,
  virtualService,
} from './fixtures.ts';
import { buildPushContext } from '../../../pilot/model/push-context.ts';
import { ModelError } from '../../../pilot/model/errors.ts';

const objects = () => [
  namespaceObj('default'),
  service('reviews', 'default', [{ name: 'http', port: 9080 }]),
  endpointSlice('reviews', 'default', [{ name: 'http', port: 8080 }], [{ ip: '10.1.0.1' }]),
  virtualService('reviews', 'default', {
    hosts: ['reviews'],
    http: [{ route: [{ destination: { host: 'reviews' } }] }],
  }),
];

describe('PushContext', () => {
  it('configKeys lists every object that went into the push', () => {
    const pc = push(objects());
    expect([...pc.configKeys].sort()).toEqual([
      'EndpointSlice/default/reviews-abc',
      'Namespace//default',
      'Service/default/reviews',
      'VirtualService/default/reviews',
    ]);
  });

  it('the version is the snapshot revision unless one is given', () => {
    const snap = snapshotOf(objects());
    expect(buildPushContext(snap).version).toBe(String(snap.revision));
    expect(buildPushContext(snap, { version: 'v42' }).version).toBe('v42');
  });

  it('mesh settings default to Istio’s and can be overridden', () => {
    const pc = push([], { trustDomain: 'example.org' });
    expect(pc.mesh).toMatchObject({
      trustDomain: 'example.org',
      clusterDomain: 'cluster.local',
      connectTimeoutMs: 10_000,
      outboundTrafficPolicy: 'ALLOW_ANY',
      enableAutoMtls: true,
      rootNamespace: 'istio-system',
    });
  });

  it('a bad mesh setting throws one typed error naming the field', () => {
    expect(() => push([], { connectTimeoutMs: -1 })).toThrow(ModelError);
    expect(() => push([], { outboundTrafficPolicy: 'SOMETIMES' as never })).toThrow(
      'mesh config: outboundTrafficPolicy: must be ALLOW_ANY or REGISTRY_ONLY',
    );
    expect(() => push([], { defaultServiceExportTo: ['Bad NS'] })).toThrow(
      expect.objectContaining({
        code: 'PETREL_MODEL_MESH',
        message:
          'mesh config: defaultServiceExportTo[0]: must be ".", "*", "~" or a namespace name',
      }),
    );
  });

  it('everything handed out is frozen: services, their ports, endpoints and lists', () => {
    const pc = push(objects());
    const proxy = sidecarProxy('default');
    const services = pc.servicesFor(proxy);
    expect(Object.isFrozen(services)).toBe(true);
    expect(Object.isFrozen(services[0])).toBe(true);
    expect(Object.isFrozen(services[0]!.ports[0])).toBe(true);
    const eps = pc.endpoints('reviews.default.svc.cluster.local', 9080);
    expect(Object.isFrozen(eps)).toBe(true);
    expect(Object.isFrozen(eps[0]!.locality)).toBe(true);
    expect(() => ((services[0] as { hostname: string }).hostname = 'x')).toThrow(TypeError);
    expect(Object.isFrozen(pc.mesh)).toBe(true);
  });

  it('a later change to the store does not change a built PushContext', async () => {
    const { MemoryConfigStore } = await import('../../../pilot/config/memory-store.ts');
    const store = new MemoryConfigStore();
    for (const o of objects()) store.upsert(o);
    const pc = buildPushContext(store.snapshot());
    store.remove('Service', 'default', 'reviews');
    expect(pc.service('reviews.default.svc.cluster.local', 'default')).toBeDefined();
    expect(
      buildPushContext(store.snapshot()).service('reviews.default.svc.cluster.local', 'default'),
    ).toBeUndefined();
  });

  it('repeated lookups for one namespace return the same cached list', () => {
    const pc = push(objects());
    expect(pc.servicesFor(sidecarProxy('default', { pod: 'a' }))).toBe(
      pc.servicesFor(sidecarProxy('default', { pod: 'b' })),
    );
    expect(pc.endpoints('reviews.default.svc.cluster.local', 9080, { app: 'x' })).toBe(
      pc.endpoints('reviews.default.svc.cluster.local', 9080, { app: 'x' }),
    );
  });
});
