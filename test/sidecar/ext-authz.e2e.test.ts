// End to end: AuthorizationPolicy action CUSTOM, as an Istio user writes it. A real
// pilot in file mode reads the mesh config's extensionProviders from a file, and
// Petrel's gateway, configured only by it, asks real authorizers — an HTTP one and a
// gRPC one, each a Service pilot knows — about the requests the policy's rules match,
// through the clusters pilot built for them; the policy follows edits of the YAML.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMeshFile } from '../../pilot/model/mesh-file.ts';
import { workloadsYaml } from '../support/echo/mesh-yaml.ts';
import {
  freePort,
  httpGatewayYaml,
  startGatewayUnderPilot,
  type GatewayUnderPilot,
} from '../support/mesh/gateway-under-pilot.ts';
import { httpWorkloadsYaml } from '../support/mesh/http-workloads.ts';
import { until } from '../support/until.ts';
import {
  DENIED_BODY,
  grpcAuthorizer,
  httpAuthorizer,
  type GrpcAuthorizer,
} from './proxy/filters/ext-authz-support.ts';
import { httpBackend, send, type Backend, type Reply } from './proxy/support/backends.ts';

const MESH_CONFIG = `extensionProviders:
- name: http-authz
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: 8000
    includeRequestHeadersInCheck: [x-ext-authz]
    headersToUpstreamOnAllow: [x-ext-authz-added]
    headersToDownstreamOnAllow: [x-authz-note]
    headersToDownstreamOnDeny: [x-ext-authz-check-result, content-type]
- name: grpc-authz
  envoyExtAuthzGrpc: { service: ext-authz-grpc.foo.svc.cluster.local, port: 9000, timeout: 2s }
`;

const customPolicyYaml = (provider: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext-authz, namespace: default }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: CUSTOM
  provider: { name: ${provider} }
  rules: [{ to: [{ operation: { paths: ['/protected*'] } }] }]
`;

let dir: string;
let mesh: GatewayUnderPilot;
let gatewayPort: number;
let web: Backend;
let httpAuthz: Backend;
let grpcAuthz: GrpcAuthorizer;

const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> =>
  send(`http://127.0.0.1:${gatewayPort}${path}`, { headers, fresh: true });

/** The headers the web app saw on its last request. */
const lastSeenByWeb = () => web.seen.at(-1)!.headers;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-ext-authz-e2e-'));
  gatewayPort = await freePort();
  web = await httpBackend('web-v1');
  httpAuthz = await httpAuthorizer();
  grpcAuthz = await grpcAuthorizer();
  writeFileSync(
    join(dir, 'web.yaml'),
    httpWorkloadsYaml('web', 8000, [{ version: 'v1', port: web.port }]),
  );
  writeFileSync(
    join(dir, 'authorizers.yaml'),
    workloadsYaml('ext-authz', 8000, [{ version: 'v1', port: httpAuthz.port }], {
      namespace: 'foo',
      portName: 'http',
      clusterIpPrefix: '10.96.10',
    }) +
      '---\n' +
      workloadsYaml('ext-authz-grpc', 9000, [{ version: 'v1', port: grpcAuthz.port }], {
        namespace: 'foo',
        portName: 'grpc',
        clusterIpPrefix: '10.96.11',
      }),
  );
  writeFileSync(
    join(dir, 'gateway.yaml'),
    httpGatewayYaml(gatewayPort, '    - route: [{ destination: { host: web, subset: v1 } }]\n'),
  );
  writeFileSync(join(dir, 'policy.yaml'), customPolicyYaml('http-authz'));
  const meshFile = join(mkdtempSync(join(tmpdir(), 'petrel-ext-authz-mesh-')), 'mesh.yaml');
  writeFileSync(meshFile, MESH_CONFIG);
  const read = readMeshFile(meshFile);
  expect(read.warnings).toEqual([]);
  mesh = await startGatewayUnderPilot(dir, { mesh: read.mesh });
});

afterAll(async () => {
  await mesh?.stop();
  await web?.close();
  await httpAuthz?.close();
  await grpcAuthz?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuthorizationPolicy CUSTOM through pilot and the gateway', () => {
  it('asks the HTTP authorizer only about the paths the rules match', async () => {
    const before = httpAuthz.seen.length;
    expect((await get('/public')).status).toBe(200);
    expect(httpAuthz.seen.length).toBe(before);

    const denied = await get('/protected/data');
    expect([denied.status, denied.body]).toEqual([403, DENIED_BODY]);
    expect(denied.headers['x-ext-authz-check-result']).toBe('denied');
    const check = httpAuthz.seen.at(-1)!;
    expect([check.method, check.url]).toEqual(['GET', '/protected/data']);
  });

  it('lets an allowed request through with the headers the provider passes on', async () => {
    const allowed = await get('/protected/data', { 'x-ext-authz': 'allow', 'x-other': 'kept' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['x-authz-note']).toBe('checked');
    expect(lastSeenByWeb()['x-ext-authz-added']).toBe('from-authz');
    // includeRequestHeadersInCheck names what the authorizer sees of the client's headers.
    const check = httpAuthz.seen.at(-1)!;
    expect(check.headers['x-ext-authz']).toBe('allow');
    expect(check.headers['x-other']).toBeUndefined();
  });

  it('switches to the gRPC authorizer when the policy names it', async () => {
    writeFileSync(join(dir, 'policy.yaml'), customPolicyYaml('grpc-authz'));
    const checks = grpcAuthz.checks.length;
    await until(async () => (await get('/protected/x')).status === 401, 'the gRPC provider');
    expect(grpcAuthz.checks.length).toBeGreaterThan(checks);
    const denied = await get('/protected/x');
    expect([denied.status, denied.body]).toEqual([401, DENIED_BODY]);

    const allowed = await get('/protected/x', { 'x-ext-authz': 'allow' });
    expect(allowed.status).toBe(200);
    expect(lastSeenByWeb()['x-ext-authz-check-result']).toBe('allowed');
    type Obj = Record<string, unknown>;
    const attributes = grpcAuthz.checks.at(-1)!.attributes as Obj;
    const http = (attributes.request as Obj).http as Obj;
    expect([http.method, http.path]).toEqual(['GET', '/protected/x']);
    expect((await get('/public')).status).toBe(200);
  });

  it('denies what the rules match when the provider is unknown (fails closed, as Istio)', async () => {
    writeFileSync(join(dir, 'policy.yaml'), customPolicyYaml('no-such-provider'));
    await until(
      async () => (await get('/protected/x', { 'x-ext-authz': 'allow' })).status === 403,
      'the unknown provider',
    );
    const r = await get('/protected/x', { 'x-ext-authz': 'allow' });
    expect([r.status, r.body]).toEqual([403, 'RBAC: access denied']);
    expect((await get('/public')).status).toBe(200);
  });

  it('answers 403 when the authorizer is down, and the other paths still work', async () => {
    writeFileSync(join(dir, 'policy.yaml'), customPolicyYaml('http-authz'));
    await until(async () => (await get('/protected/x')).body === DENIED_BODY, 'the HTTP provider');
    await httpAuthz.close();
    const r = await get('/protected/x', { 'x-ext-authz': 'allow' });
    expect(r.status).toBe(403);
    expect(r.body).toBe('');
    expect((await get('/public')).status).toBe(200);
  });
});
