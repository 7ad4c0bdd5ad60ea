import { describe, expect, it } from 'vitest';
import { endpointSlice, pod, push, service, serviceEntry, sidecarProxy } from './fixtures.ts';

const key = (
  list: readonly {
    service: { hostname: string };
    endpoint: { address: string; port: number; servicePort: number };
  }[],
) =>
  list.map(
    (p) =>
      `${p.service.hostname}:${p.endpoint.servicePort}->${p.endpoint.address}:${p.endpoint.port}`,
  );

describe('servicesOfProxy', () => {
  it('finds the services whose endpoints are the proxy’s IP, one entry per service port', () => {
    const pc = push([
      service('reviews', 'default', [
        { name: 'http', port: 9080, targetPort: 'web' },
        { name: 'grpc', port: 9090 },
      ]),
      service('other', 'default', [{ name: 'http', port: 80 }], { selector: { app: 'other' } }),
      endpointSlice(
        'reviews',
        'default',
        [
          { name: 'http', port: 8080 },
          { name: 'grpc', port: 9090 },
        ],
        [{ ip: '10.1.0.1', pod: 'reviews-1' }, { ip: '10.1.0.2' }],
      ),
      endpointSlice('other', 'default', [{ name: 'http', port: 80 }], [{ ip: '10.1.0.2' }]),
    ]);
    const proxy = sidecarProxy('default', {
      ip: '10.1.0.1',
      pod: 'reviews-1',
      labels: { app: 'nomatch' },
    });
    expect(key(pc.servicesOfProxy(proxy))).toEqual([
      'reviews.default.svc.cluster.local:9080->10.1.0.1:8080',
      'reviews.default.svc.cluster.local:9090->10.1.0.1:9090',
    ]);
  });

  it('a not-ready pod missing from endpoints still gets the services that select it, ports resolved from its containers', () => {
    const pc = push([
      service('reviews', 'default', [
        { name: 'http', port: 9080, targetPort: 'web' },
        { name: 'admin', port: 9999, targetPort: 'missing' },
      ]),
      pod('reviews-1', 'default', {
        ip: '10.1.0.1',
        labels: { app: 'reviews' },
        serviceAccount: 'sa',
        ports: [{ name: 'web', containerPort: 8080 }],
      }),
    ]);
    const pairs = pc.servicesOfProxy(
      sidecarProxy('default', { ip: '10.1.0.1', pod: 'reviews-1', labels: { app: 'reviews' } }),
    );
    expect(key(pairs)).toEqual(['reviews.default.svc.cluster.local:9080->10.1.0.1:8080']);
    expect(pairs[0]!.endpoint).toMatchObject({
      serviceAccount: 'sa',
      podName: 'reviews-1',
      labels: { app: 'reviews' },
    });
  });

  it('without a Pod object the proxy’s own metadata describes the synthesized endpoint', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080, targetPort: 8080 }]),
    ]);
    const pairs = pc.servicesOfProxy(
      sidecarProxy('default', {
        ip: '10.1.0.5',
        pod: 'r',
        labels: { app: 'reviews', version: 'v3' },
      }),
    );
    expect(key(pairs)).toEqual(['reviews.default.svc.cluster.local:9080->10.1.0.5:8080']);
    expect(pairs[0]!.endpoint.labels).toEqual({ app: 'reviews', version: 'v3' });
  });

  it('services in other namespaces never claim a proxy by selector', () => {
    const pc = push([service('reviews', 'other', [{ name: 'http', port: 9080 }])]);
    expect(
      pc.servicesOfProxy(sidecarProxy('default', { ip: '10.1.0.5', labels: { app: 'reviews' } })),
    ).toEqual([]);
  });

  it('a ServiceEntry endpoint at the proxy’s IP (a VM) makes it an instance of that entry', () => {
    const pc = push([
      serviceEntry('vm', 'default', {
        hosts: ['vm.internal'],
        location: 'MESH_INTERNAL',
        ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }],
        resolution: 'STATIC',
        endpoints: [{ address: '10.7.0.1' }],
      }),
    ]);
    expect(key(pc.servicesOfProxy(sidecarProxy('default', { ip: '10.7.0.1' })))).toEqual([
      'vm.internal:80->10.7.0.1:8080',
    ]);
  });

  it('with no IP match the pod name and namespace find the proxy’s endpoints', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }], { selector: { app: 'x' } }),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [{ ip: '10.1.0.1', pod: 'reviews-1' }],
      ),
      pod('reviews-1', 'default', { ip: '10.1.0.1' }),
    ]);
    expect(
      key(pc.servicesOfProxy(sidecarProxy('default', { ip: '192.168.0.1', pod: 'reviews-1' }))),
    ).toEqual(['reviews.default.svc.cluster.local:9080->10.1.0.1:8080']);
  });
});
