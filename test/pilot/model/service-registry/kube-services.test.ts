import { describe, expect, it } from 'vitest';
import { endpointSlice, namespaceObj, node, pod, push, service } from '../fixtures.ts';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { buildPushContext } from '../../../../pilot/model/push-context.ts';

const HOST = 'reviews.default.svc.cluster.local';

describe('Kubernetes Services in the registry', () => {
  it('a ClusterIP Service becomes name.ns.svc.<clusterDomain> with its cluster IP and STATIC resolution', () => {
    const pc = push([service('reviews', 'default', [{ name: 'http', port: 9080 }])], {
      clusterDomain: 'corp.local',
    });
    const svc = pc.service('reviews.default.svc.corp.local', 'default');
    expect(svc).toMatchObject({
      name: 'reviews',
      namespace: 'default',
      addresses: ['10.96.0.10'],
      resolution: 'STATIC',
      headless: false,
      meshExternal: false,
      source: 'kubernetes',
      origin: 'Service/default/reviews',
      selector: { app: 'reviews' },
      exportTo: ['*'],
    });
  });

  it('port protocols come from appProtocol, else the port name prefix, else UNSPECIFIED (TCP for well-known server-first ports)', () => {
    const names = [
      'http',
      'http-foo',
      'http2',
      'grpc',
      'grpc-web',
      'grpc-web-x',
      'https',
      'tcp',
      'tls-x',
      'mongo',
      'redis',
      'mysql',
      'udp',
      'web',
      'HTTP-upper',
    ];
    const ports = names.map((name, i) => ({ name, port: 1000 + i }));
    ports.push({ name: 'web2', port: 2000, appProtocol: 'grpc' } as never);
    ports.push({ name: 'http-h2c', port: 2001, appProtocol: 'kubernetes.io/h2c' } as never);
    ports.push({ name: 'dns', port: 2002, protocol: 'UDP' } as never);
    ports.push({ name: 'db', port: 3306 });
    ports.push({ name: 'other', port: 3307 });
    const pc = push([service('reviews', 'default', ports)]);
    const protocols = Object.fromEntries(
      pc.service(HOST, 'default')!.ports.map((p) => [p.name, p.protocol]),
    );
    expect(protocols).toEqual({
      http: 'HTTP',
      'http-foo': 'HTTP',
      http2: 'HTTP2',
      grpc: 'GRPC',
      'grpc-web': 'GRPC-WEB',
      'grpc-web-x': 'GRPC-WEB',
      https: 'HTTPS',
      tcp: 'TCP',
      'tls-x': 'TLS',
      mongo: 'MONGO',
      redis: 'REDIS',
      mysql: 'MYSQL',
      udp: 'UDP',
      web: 'UNSPECIFIED',
      'HTTP-upper': 'HTTP',
      web2: 'GRPC',
      'http-h2c': 'HTTP2',
      dns: 'UDP',
      db: 'TCP',
      other: 'UNSPECIFIED',
    });
  });

  it('a named targetPort is resolved per endpoint through the EndpointSlice port of the same name', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080, targetPort: 'web' }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [{ ip: '10.1.0.1' }],
        'a',
      ),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8081 }],
        [{ ip: '10.1.0.2' }],
        'b',
      ),
    ]);
    expect(pc.service(HOST, 'default')!.ports[0]!.targetPort).toBe('web');
    expect(
      pc
        .endpoints(HOST, 9080)
        .map((e) => `${e.address}:${e.port}`)
        .sort(),
    ).toEqual(['10.1.0.1:8080', '10.1.0.2:8081']);
  });

  it('a numeric targetPort string counts as a number and a missing one defaults to the port', () => {
    const pc = push([
      service('reviews', 'default', [
        { name: 'http', port: 9080, targetPort: '8080' },
        { name: 'tcp', port: 9090 },
      ]),
    ]);
    expect(pc.service(HOST, 'default')!.ports.map((p) => p.targetPort)).toEqual([8080, 9090]);
  });

  it('each endpoint belongs to the service port whose name its slice port carries', () => {
    const pc = push([
      service('reviews', 'default', [
        { name: 'http', port: 9080 },
        { name: 'grpc', port: 9090 },
      ]),
      endpointSlice(
        'reviews',
        'default',
        [
          { name: 'http', port: 8080 },
          { name: 'grpc', port: 8090 },
        ],
        [{ ip: '10.1.0.1' }],
      ),
    ]);
    expect(pc.endpoints(HOST, 9080).map((e) => [e.port, e.servicePortName])).toEqual([
      [8080, 'http'],
    ]);
    expect(pc.endpoints(HOST, 9090).map((e) => [e.port, e.servicePortName])).toEqual([
      [8090, 'grpc'],
    ]);
    expect(pc.endpoints(HOST, 9999)).toEqual([]);
  });

  it('ready endpoints are healthy, terminating-but-serving ones draining, the rest unhealthy', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [
          { ip: '10.1.0.1' },
          { ip: '10.1.0.2', ready: false, serving: true, terminating: true },
          { ip: '10.1.0.3', ready: false, serving: false, terminating: true },
          { ip: '10.1.0.4', ready: false, serving: false, terminating: false },
        ],
      ),
    ]);
    const health = Object.fromEntries(
      pc.endpoints(HOST, 9080).map((e) => [e.address, [e.healthy, e.draining]]),
    );
    expect(health).toEqual({
      '10.1.0.1': [true, false],
      '10.1.0.2': [false, true],
      '10.1.0.3': [false, false],
      '10.1.0.4': [false, false],
    });
  });

  it('an address listed by two slices yields one endpoint', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [{ ip: '10.1.0.1' }],
        'a',
      ),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [{ ip: '10.1.0.1' }],
        'b',
      ),
    ]);
    expect(pc.endpoints(HOST, 9080)).toHaveLength(1);
  });

  it('endpoints carry the pod’s labels, service account, workload name and pod name (joined by targetRef, else by IP)', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [{ ip: '10.1.0.1', pod: 'reviews-v1-7d9f-abcde' }, { ip: '10.1.0.2' }],
      ),
      pod('reviews-v1-7d9f-abcde', 'default', {
        ip: '10.1.0.1',
        labels: { app: 'reviews', version: 'v1', 'pod-template-hash': '7d9f' },
        serviceAccount: 'bookinfo-reviews',
        owner: { kind: 'ReplicaSet', name: 'reviews-v1-7d9f' },
      }),
      pod('reviews-v2-x', 'default', {
        ip: '10.1.0.2',
        labels: { app: 'reviews', version: 'v2' },
        serviceAccount: 'sa2',
      }),
    ]);
    const [a, b] = [...pc.endpoints(HOST, 9080)].sort((x, y) => x.address.localeCompare(y.address));
    expect(a).toMatchObject({
      labels: { app: 'reviews', version: 'v1' },
      serviceAccount: 'bookinfo-reviews',
      workloadName: 'reviews-v1',
      podName: 'reviews-v1-7d9f-abcde',
      namespace: 'default',
    });
    expect(b).toMatchObject({
      labels: { version: 'v2' },
      serviceAccount: 'sa2',
      podName: 'reviews-v2-x',
      workloadName: 'reviews-v2-x',
    });
    expect(pc.endpoints(HOST, 9080, { version: 'v2' }).map((e) => e.address)).toEqual(['10.1.0.2']);
  });

  it('locality comes from the pod’s istio-locality label, else topology labels on pod or node, else the slice zone', () => {
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        [
          { ip: '10.1.0.1', pod: 'a' },
          { ip: '10.1.0.2', pod: 'b' },
          { ip: '10.1.0.3', pod: 'c', zone: 'slice-zone' },
          { ip: '10.1.0.4', zone: 'z4' },
        ],
      ),
      node('node-1', {
        'topology.kubernetes.io/region': 'eu',
        'topology.kubernetes.io/zone': 'eu-1a',
        'topology.istio.io/subzone': 'rack1',
      }),
      pod('a', 'default', {
        ip: '10.1.0.1',
        labels: { 'istio-locality': 'us.us-2.r9' },
        nodeName: 'node-1',
      }),
      pod('b', 'default', { ip: '10.1.0.2', nodeName: 'node-1' }),
      pod('c', 'default', { ip: '10.1.0.3', labels: { 'topology.kubernetes.io/region': 'ap' } }),
    ]);
    const loc = Object.fromEntries(pc.endpoints(HOST, 9080).map((e) => [e.address, e.locality]));
    expect(loc['10.1.0.1']).toEqual({ region: 'us', zone: 'us-2', subzone: 'r9' });
    expect(loc['10.1.0.2']).toEqual({ region: 'eu', zone: 'eu-1a', subzone: 'rack1' });
    expect(loc['10.1.0.3']).toEqual({ region: 'ap', zone: 'slice-zone', subzone: '' });
    expect(loc['10.1.0.4']).toEqual({ region: '', zone: 'z4', subzone: '' });
  });

  it('tlsMode is istio for pods with the tlsMode label, an istio-proxy container or the sidecar status annotation', () => {
    const ips = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5'];
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpointSlice(
        'reviews',
        'default',
        [{ name: 'http', port: 8080 }],
        ips.map((ip) => ({ ip })),
      ),
      pod('label', 'default', { ip: ips[0]!, labels: { 'security.istio.io/tlsMode': 'istio' } }),
      pod('container', 'default', { ip: ips[1]!, sidecar: true }),
      pod('annotation', 'default', {
        ip: ips[2]!,
        annotations: { 'sidecar.istio.io/status': '{}' },
      }),
      pod('plain', 'default', { ip: ips[3]! }),
      pod('optout', 'default', {
        ip: ips[4]!,
        sidecar: true,
        labels: { 'security.istio.io/tlsMode': 'disabled' },
      }),
    ]);
    const modes = Object.fromEntries(pc.endpoints(HOST, 9080).map((e) => [e.address, e.tlsMode]));
    expect(modes).toEqual({
      [ips[0]!]: 'istio',
      [ips[1]!]: 'istio',
      [ips[2]!]: 'istio',
      [ips[3]!]: 'disabled',
      [ips[4]!]: 'disabled',
    });
  });

  it('a headless Service has no address, PASSTHROUGH resolution and still lists its endpoints', () => {
    const pc = push([
      service('db', 'default', [{ name: 'tcp', port: 5432 }], { clusterIP: 'None' }),
      endpointSlice('db', 'default', [{ name: 'tcp', port: 5432 }], [{ ip: '10.1.0.7' }]),
    ]);
    const svc = pc.service('db.default.svc.cluster.local', 'default')!;
    expect(svc).toMatchObject({ headless: true, addresses: [], resolution: 'PASSTHROUGH' });
    expect(pc.endpoints(svc.hostname, 5432).map((e) => e.address)).toEqual(['10.1.0.7']);
  });

  it('an ExternalName Service resolves its external name by DNS on the service port and is mesh-external', () => {
    const pc = push([
      service('ext', 'default', [{ name: 'https', port: 443 }], {
        type: 'ExternalName',
        externalName: 'api.example.com',
        clusterIP: undefined,
        selector: undefined,
      }),
    ]);
    const svc = pc.service('ext.default.svc.cluster.local', 'default')!;
    expect(svc).toMatchObject({
      resolution: 'DNS',
      externalName: 'api.example.com',
      meshExternal: true,
      addresses: [],
      headless: false,
    });
    expect(pc.endpoints(svc.hostname, 443).map((e) => `${e.address}:${e.port}`)).toEqual([
      'api.example.com:443',
    ]);
  });

  it('without EndpointSlices the core Endpoints object supplies the endpoints (notReadyAddresses unhealthy)', () => {
    const endpoints: ConfigObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'reviews', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '10.1.0.1' }],
          notReadyAddresses: [{ ip: '10.1.0.2' }],
          ports: [{ name: 'http', port: 8080 }],
        },
      ],
    };
    const pc = push([service('reviews', 'default', [{ name: 'http', port: 9080 }]), endpoints]);
    expect(pc.endpoints(HOST, 9080).map((e) => [e.address, e.port, e.healthy])).toEqual([
      ['10.1.0.1', 8080, true],
      ['10.1.0.2', 8080, false],
    ]);
  });

  it('EndpointSlices win over core Endpoints when a service has both', () => {
    const endpoints: ConfigObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'reviews', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '10.9.9.9' }], ports: [{ name: 'http', port: 8080 }] }],
    };
    const pc = push([
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
      endpoints,
      endpointSlice('reviews', 'default', [{ name: 'http', port: 8080 }], [{ ip: '10.1.0.1' }]),
    ]);
    expect(pc.endpoints(HOST, 9080).map((e) => e.address)).toEqual(['10.1.0.1']);
  });

  it('a Service with a bad port is skipped with one diagnostic line; the others stay', () => {
    const pc = push([
      namespaceObj('default'),
      service('bad', 'default', [{ name: 'http', port: 0 }]),
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
    ]);
    expect(pc.service('bad.default.svc.cluster.local', 'default')).toBeUndefined();
    expect(pc.service(HOST, 'default')).toBeDefined();
    expect(pc.diagnostics).toEqual([
      {
        code: 'PETREL_MODEL_BAD_OBJECT',
        message: 'service default/bad: spec.ports[0].port: must be 1..65535',
      },
    ]);
  });
});

describe('malformed core objects', () => {
  it('list fields of the wrong type are read as empty and a throwing object becomes one diagnostic; the push still builds', () => {
    const weird: ConfigObject[] = [
      service('odd', 'default', 'not-a-list' as never),
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { containers: 'x' },
        status: { podIPs: 5, podIP: '10.1.0.9' },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'odd-x',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'odd' },
        },
        endpoints: { a: 1 },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'trap', namespace: 'default' },
        get spec(): never {
          throw new Error('boom');
        },
      },
      service('reviews', 'default', [{ name: 'http', port: 9080 }]),
    ];
    const pc = buildPushContext({
      revision: 1,
      list: (kind: string) => weird.filter((o) => o.kind === kind),
      get: () => undefined,
    });
    expect(pc.service('odd.default.svc.cluster.local', 'default')?.ports).toEqual([]);
    expect(pc.service(HOST, 'default')).toBeDefined();
    expect(pc.diagnostics).toEqual([
      { code: 'PETREL_MODEL_BAD_OBJECT', message: 'service default/trap: skipped: boom' },
    ]);
  });
});
