// An AUTO_PASSTHROUGH gateway end to end, in one process: pilot in file mode with
// its CA; service web behind a Petrel sidecar (inbound mTLS STRICT) in front of an
// HTTP app; Petrel's gateway proxy with a Gateway server on a TLS port for hosts
// *.local in tls mode AUTO_PASSTHROUGH. A mesh client with a workload certificate
// from the same CA connects to the gateway with web's mTLS SNI and an Istio ALPN:
// the gateway forwards the TLS untouched, web's sidecar ends it.
//
// As in test/sidecar/mtls.e2e.test.ts, capture is stood in for: a relay on web's
// pod IP forwards to its 15006, and the original-destination lookup answers what
// SO_ORIGINAL_DST would.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPilot } from '../../pilot/main.ts';
import { httpBackend, type Backend } from '../sidecar/proxy/support/backends.ts';
import { startCaptureRelay } from '../support/mesh/capture-relay.ts';
import { freePort } from '../support/mesh/gateway-under-pilot.ts';
import {
  startIdentitySidecar,
  startPilotWithCa,
  stopIdentitySidecar,
  type IdentitySidecar,
} from '../support/mesh/identity-sidecar.ts';
import {
  meshClientIdentity,
  meshTlsRequest,
  plainExchange,
  type MeshClientIdentity,
} from '../support/mesh/mesh-tls-client.ts';
import { until } from '../support/until.ts';

const WEB_IP = '127.0.78.2';
const GW_IP = '127.0.78.3';
const WEB_2_IP = '127.0.78.4';
const LEGACY_IP = '127.0.78.5';
const WEB = 'web.default.svc.cluster.local';
const LEGACY = 'legacy.default.svc.cluster.local';
const SNI = `outbound_.80_._.${WEB}`;
const ID = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

let dir: string;
let meshDir: string;
let pilot: RunningPilot;
let app: Backend;
let relay: net.Server;
let legacyApp: net.Server;
let legacyConnections = 0;
let web: IdentitySidecar;
let gw: IdentitySidecar;
let client: MeshClientIdentity;
let gwPort: number;
const logs: string[] = [];

function webSlice(ips: string[]): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: default, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${app.port}, protocol: TCP }]
endpoints:
${ips
  .map(
    (ip, i) => `  - addresses: [${ip}]
    conditions: { ready: true }
    targetRef: { kind: Pod, namespace: default, name: web-${i + 1} }`,
  )
  .join('\n')}
`;
}

function meshYaml(legacyPort: number): string {
  const pod = (name: string, ip: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default, labels: { app: web, security.istio.io/tlsMode: istio } }
spec:
  serviceAccountName: web
  containers: [{ name: web, ports: [{ name: http, containerPort: ${app.port} }] }, { name: istio-proxy }]
status: { podIP: ${ip}, phase: Running }
`;
  return `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  clusterIP: 10.96.78.2
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
---
${pod('web-1', WEB_IP)}---
${pod('web-2', WEB_2_IP)}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: web, namespace: default }
spec:
  selector: { matchLabels: { app: web } }
  mtls: { mode: STRICT }
---
# A workload without a sidecar: the gateway has a chain for it, but no endpoint.
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: default }
spec:
  clusterIP: 10.96.78.5
  ports: [{ name: http, port: 80, targetPort: ${legacyPort} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: legacy-1, namespace: default, labels: { kubernetes.io/service-name: legacy } }
addressType: IPv4
ports: [{ name: http, port: ${legacyPort}, protocol: TCP }]
endpoints: [{ addresses: [${LEGACY_IP}], conditions: { ready: true } }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: cross-network, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: ${gwPort}, name: tls, protocol: TLS }
      hosts: ['*.local']
      tls: { mode: AUTO_PASSTHROUGH }
`;
}

/** A request through the gateway as a sidecar would send it, with the mesh client's identity. */
function viaGateway(opts: { sni?: string; alpn?: string[]; path?: string } = {}) {
  return meshTlsRequest({
    host: GW_IP,
    port: gwPort,
    serverName: opts.sni ?? SNI,
    alpn: opts.alpn ?? ['istio-http/1.1'],
    authority: WEB,
    path: opts.path,
    identity: client.material,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-autopass-'));
  meshDir = join(dir, 'mesh');
  mkdirSync(meshDir);
  app = await httpBackend('web-app');
  legacyApp = net.createServer((s) => {
    legacyConnections++;
    s.destroy();
  });
  await new Promise<void>((r) => legacyApp.listen(0, LEGACY_IP, r));
  gwPort = await freePort(GW_IP);
  writeFileSync(join(meshDir, 'mesh.yaml'), meshYaml((legacyApp.address() as AddressInfo).port));
  writeFileSync(join(meshDir, 'web-slice.yaml'), webSlice([WEB_IP]));
  pilot = await startPilotWithCa({
    dir,
    configDir: meshDir,
    tokens: 'tok-web default web\ntok-gw default eastwest\ntok-client default client\n',
    log: (m) => logs.push(`pilot: ${m}`),
  });
  relay = await startCaptureRelay(WEB_IP, app.port);
  const common = { pilot, dir, log: (l: string) => logs.push(l) };
  web = await startIdentitySidecar({
    ...common,
    node: {
      role: 'sidecar',
      podName: 'web-1',
      namespace: 'default',
      ips: [WEB_IP],
      labels: { app: 'web' },
      serviceAccount: 'web',
    },
    token: 'tok-web',
    dataPlane: {
      bindIp: WEB_IP,
      originalDestination: (s) =>
        s.localPort === 15006 ? { address: WEB_IP, port: app.port } : undefined,
    },
  });
  gw = await startIdentitySidecar({
    ...common,
    node: {
      role: 'router',
      podName: 'eastwest-1',
      namespace: 'default',
      ips: [GW_IP],
      labels: { istio: 'ingressgateway' },
      serviceAccount: 'eastwest',
    },
    token: 'tok-gw',
    dataPlane: { bindIp: GW_IP },
  });
  client = await meshClientIdentity(pilot, {
    namespace: 'default',
    serviceAccount: 'client',
    token: 'tok-client',
  });
}, 60_000);

afterAll(async () => {
  client?.stop();
  await Promise.allSettled([stopIdentitySidecar(web), stopIdentitySidecar(gw)]);
  await pilot?.stop().catch(() => {});
  relay?.close();
  legacyApp?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AUTO_PASSTHROUGH gateway end to end', () => {
  it('forwards a mesh client\u2019s mTLS by its SNI; the web sidecar ends it and sees the client\u2019s identity', async () => {
    await until(async () => (await viaGateway({ path: '/first' })).status === 200, 'web via gw');
    const res = await viaGateway({ path: '/istio-http' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('"backend":"web-app"');
    // The certificate the client checked is web's, not the gateway's.
    expect(res.peerSan).toBe(`URI:${ID('web')}`);
    expect(web.records.findLast((r) => r.path === '/istio-http')).toMatchObject({
      direction: 'inbound',
      peerPrincipal: ID('client'),
      localPrincipal: ID('web'),
    });
  });

  it('takes every Istio mTLS ALPN, not only the HTTP ones', async () => {
    const res = await viaGateway({ alpn: ['istio'], path: '/istio' });
    expect(res.status).toBe(200);
    expect(res.peerSan).toBe(`URI:${ID('web')}`);
  });

  it('closes a connection whose SNI names no service before any handshake', async () => {
    const before = web.records.length;
    await expect(
      viaGateway({ sni: 'outbound_.80_._.nope.default.svc.cluster.local' }),
    ).rejects.toThrow();
    // Another port of web is no service port either.
    await expect(viaGateway({ sni: `outbound_.81_._.${WEB}` })).rejects.toThrow();
    expect(web.records.length).toBe(before);
  });

  it('closes a TLS connection that offers no Istio ALPN', async () => {
    await expect(viaGateway({ alpn: ['http/1.1'] })).rejects.toThrow();
    await expect(viaGateway({ alpn: ['h2', 'http/1.1'] })).rejects.toThrow();
  });

  it('gives a plaintext client nothing', async () => {
    expect(await plainExchange(GW_IP, gwPort, `GET / HTTP/1.1\r\nhost: ${WEB}\r\n\r\n`)).toBe('');
  });

  it('never reaches a workload without a sidecar: its SNI-DNAT cluster has no endpoint', async () => {
    await expect(viaGateway({ sni: `outbound_.80_._.${LEGACY}` })).rejects.toThrow();
    expect(legacyConnections).toBe(0);
  });

  it('an endpoint change reaches the gateway\u2019s SNI-DNAT cluster (incremental EDS)', async () => {
    const sniDnatAddresses = (): string[] => {
      const eds = gw.agent.xds.status().types.find((t) => t.short === 'eds');
      const cla = eds?.resources.get(SNI)?.resource as { endpoints?: any[] } | undefined;
      return (cla?.endpoints ?? [])
        .flatMap((l) => l.lb_endpoints)
        .map((e) => e.endpoint.address.socket_address.address)
        .sort();
    };
    expect(sniDnatAddresses()).toEqual([WEB_IP]);
    writeFileSync(join(meshDir, 'web-slice.yaml'), webSlice([WEB_IP, WEB_2_IP]));
    await until(
      async () => sniDnatAddresses().length === 2,
      'the new endpoint in the gateway\u2019s SNI-DNAT cluster',
    );
    expect(sniDnatAddresses()).toEqual([WEB_IP, WEB_2_IP]);
  });
});
