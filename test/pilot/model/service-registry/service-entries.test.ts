import { describe, expect, it } from 'vitest';
import { pod, push, serviceEntry, sidecarProxy, hostnames, service } from '../fixtures.ts';

describe('ServiceEntries in the registry', () => {
  it('each host becomes a service sharing the entry’s ports and addresses; MESH_EXTERNAL is the default location', () => {
    const pc = push([
      serviceEntry('ext', 'default', {
        hosts: ['api.example.com', 'www.example.com'],
        addresses: ['240.0.0.1'],
        ports: [
          { number: 443, name: 'https', protocol: 'HTTPS' },
          { number: 80, name: 'web', protocol: 'http', targetPort: 8080 },
        ],
        resolution: 'DNS',
      }),
    ]);
    for (const host of ['api.example.com', 'www.example.com']) {
      expect(pc.service(host, 'default')).toMatchObject({
        hostname: host,
        namespace: 'default',
        addresses: ['240.0.0.1'],
        resolution: 'DNS',
        meshExternal: true,
        source: 'serviceentry',
        origin: 'ServiceEntry/default/ext',
        ports: [
          { name: 'https', port: 443, targetPort: 443, protocol: 'HTTPS' },
          { name: 'web', port: 80, targetPort: 8080, protocol: 'HTTP' },
        ],
      });
    }
  });

  it('MESH_INTERNAL entries are not mesh-external; a port without protocol is UNSPECIFIED', () => {
    const pc = push([
      serviceEntry('int', 'default', {
        hosts: ['vm.internal'],
        location: 'MESH_INTERNAL',
        ports: [{ number: 9000, name: 'p' }],
        resolution: 'STATIC',
        endpoints: [{ address: '10.5.0.1' }],
      }),
    ]);
    expect(pc.service('vm.internal', 'default')).toMatchObject({
      meshExternal: false,
      resolution: 'STATIC',
      ports: [{ protocol: 'UNSPECIFIED' }],
    });
  });

  it('STATIC endpoints carry their address, labels, locality, weight and the port from their ports map', () => {
    const pc = push([
      serviceEntry('vms', 'default', {
        hosts: ['vm.internal'],
        location: 'MESH_INTERNAL',
        ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }],
        resolution: 'STATIC',
        endpoints: [
          {
            address: '10.5.0.1',
            labels: { version: 'v1', 'security.istio.io/tlsMode': 'istio' },
            locality: 'us/us-1/a',
            weight: 3,
            serviceAccount: 'vm-sa',
          },
          { address: '10.5.0.2', ports: { http: 9090 }, labels: { version: 'v2' } },
        ],
      }),
    ]);
    const eps = pc.endpoints('vm.internal', 80);
    expect(eps.map((e) => [e.address, e.port])).toEqual([
      ['10.5.0.1', 8080],
      ['10.5.0.2', 9090],
    ]);
    expect(eps[0]).toMatchObject({
      locality: { region: 'us', zone: 'us-1', subzone: 'a' },
      weight: 3,
      serviceAccount: 'vm-sa',
      tlsMode: 'istio',
      healthy: true,
    });
    expect(eps[1]!.tlsMode).toBe('disabled');
    expect(pc.endpoints('vm.internal', 80, { version: 'v2' }).map((e) => e.address)).toEqual([
      '10.5.0.2',
    ]);
  });

  it('DNS without endpoints resolves the host itself; DNS_ROUND_ROBIN with endpoints uses their names', () => {
    const pc = push([
      serviceEntry('a', 'default', {
        hosts: ['api.example.com'],
        ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
        resolution: 'DNS',
      }),
      serviceEntry('b', 'default', {
        hosts: ['db.example.com'],
        ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }],
        resolution: 'DNS_ROUND_ROBIN',
        endpoints: [{ address: 'db1.example.com' }, { address: 'db2.example.com' }],
      }),
    ]);
    expect(pc.endpoints('api.example.com', 443).map((e) => `${e.address}:${e.port}`)).toEqual([
      'api.example.com:443',
    ]);
    expect(pc.service('db.example.com', 'default')!.resolution).toBe('DNS_ROUND_ROBIN');
    expect(pc.endpoints('db.example.com', 5432).map((e) => e.address)).toEqual([
      'db1.example.com',
      'db2.example.com',
    ]);
  });

  it('resolution NONE is passthrough with no endpoints, and wildcard hosts are kept as written', () => {
    const pc = push([
      serviceEntry('w', 'default', {
        hosts: ['*.example.com'],
        ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
        resolution: 'NONE',
      }),
    ]);
    expect(pc.service('*.example.com', 'default')).toMatchObject({
      resolution: 'PASSTHROUGH',
      hostname: '*.example.com',
    });
    expect(pc.endpoints('*.example.com', 443)).toEqual([]);
  });

  it('a workloadSelector selects the namespace’s matching pods as endpoints', () => {
    const pc = push([
      serviceEntry('sel', 'default', {
        hosts: ['svc.internal'],
        location: 'MESH_INTERNAL',
        ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }],
        resolution: 'STATIC',
        workloadSelector: { labels: { app: 'legacy' } },
      }),
      pod('legacy-1', 'default', { ip: '10.1.0.1', labels: { app: 'legacy' }, sidecar: true }),
      pod('legacy-other-ns', 'other', { ip: '10.1.0.2', labels: { app: 'legacy' } }),
      pod('different', 'default', { ip: '10.1.0.3', labels: { app: 'x' } }),
    ]);
    expect(
      pc.endpoints('svc.internal', 80).map((e) => [e.address, e.port, e.tlsMode, e.podName]),
    ).toEqual([['10.1.0.1', 8080, 'istio', 'legacy-1']]);
    expect(pc.service('svc.internal', 'default')!.selector).toEqual({ app: 'legacy' });
  });

  it('entries for one host in one namespace keep the oldest entry’s ports and merge their endpoints', () => {
    const pc = push([
      serviceEntry(
        'old',
        'default',
        {
          hosts: ['vm.internal'],
          ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
          resolution: 'STATIC',
          endpoints: [{ address: '10.5.0.1' }],
        },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      serviceEntry(
        'new',
        'default',
        {
          hosts: ['vm.internal'],
          ports: [{ number: 80, name: 'http', protocol: 'TCP' }],
          resolution: 'STATIC',
          endpoints: [{ address: '10.5.0.2' }],
        },
        { creationTimestamp: '2024-02-01T00:00:00Z' },
      ),
    ]);
    expect(pc.service('vm.internal', 'default')).toMatchObject({
      origin: 'ServiceEntry/default/old',
      ports: [{ protocol: 'HTTP' }],
    });
    expect(pc.endpoints('vm.internal', 80).map((e) => e.address)).toEqual(['10.5.0.1', '10.5.0.2']);
  });

  it('a ServiceEntry cannot take over a Kubernetes Service’s hostname in its namespace', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      serviceEntry('dup', 'default', {
        hosts: ['reviews.default.svc.cluster.local'],
        ports: [{ number: 1, name: 'tcp', protocol: 'TCP' }],
        resolution: 'DNS',
      }),
    ]);
    expect(pc.service('reviews.default.svc.cluster.local', 'default')!.source).toBe('kubernetes');
    expect(pc.diagnostics?.map((d) => d.code)).toEqual(['PETREL_MODEL_HOST_CONFLICT']);
  });

  it('the same host from two namespaces: each namespace sees its own, others the oldest visible one', () => {
    const pc = push([
      serviceEntry(
        'a',
        'ns-a',
        {
          hosts: ['shared.example.com'],
          ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
          resolution: 'DNS',
        },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      serviceEntry(
        'b',
        'ns-b',
        {
          hosts: ['shared.example.com'],
          ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
          resolution: 'STATIC',
          endpoints: [{ address: '10.0.0.2' }],
        },
        { creationTimestamp: '2024-02-01T00:00:00Z' },
      ),
    ]);
    expect(pc.service('shared.example.com', 'ns-b')!.namespace).toBe('ns-b');
    expect(pc.service('shared.example.com', 'ns-a')!.namespace).toBe('ns-a');
    expect(pc.service('shared.example.com', 'ns-c')!.namespace).toBe('ns-a');
    expect(pc.endpoints('shared.example.com', 80, undefined, 'ns-b').map((e) => e.address)).toEqual(
      ['10.0.0.2'],
    );
    expect(hostnames(pc.servicesFor(sidecarProxy('ns-c')))).toEqual(['shared.example.com']);
  });
});
