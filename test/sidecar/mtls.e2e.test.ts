// Mesh mTLS end to end, in one process: pilot in file mode with its CA and xDS on
// the TLS port, and three Petrel proxies wired as `petrel proxy` wires them (the
// same identity flags, SecretMerge, xDS over TLS): sidecar A (the client's), sidecar
// B next to app b, and a gateway. Each proxy gets its workload certificate with a
// bootstrap token. A and B rotate theirs every ~1.5 s (3 s lifetime).
//
// As in test/support/mesh/two-hop-telemetry.ts, capture is stood in for: a relay on
// B's pod IP forwards to B's 15006, and the original-destination lookups answer what
// SO_ORIGINAL_DST would. The kernel path is proven in pod-mesh.e2e.test.ts.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPilot } from '../../pilot/main.ts';
import { httpBackend, type Backend } from './proxy/support/backends.ts';
import { testCa, type Issued, type TestCa } from './proxy/tls/support/certs.ts';
import { startCaptureRelay } from '../support/mesh/capture-relay.ts';
import {
  startIdentitySidecar,
  startPilotWithCa,
  stopIdentitySidecar,
  type IdentitySidecar,
} from '../support/mesh/identity-sidecar.ts';
import { until } from '../support/until.ts';
import { freePort } from '../support/mesh/gateway-under-pilot.ts';
import { scrape } from '../support/mesh/two-hop-telemetry.ts';

const A_IP = '127.0.77.1';
const B_IP = '127.0.77.2';
const GW_IP = '127.0.77.3';
const B_CLUSTER_IP = '10.96.77.11';
const DB_CLUSTER_IP = '10.96.77.12';
// Source addresses that tell the capture stand-ins which original destination a
// connection had: A's app calling db, and B's relay for db's port.
const A_DB_CLIENT_IP = '127.0.77.5';
const B_DB_RELAY_IP = '127.0.77.4';
const GW_HOST = 'gw.example.com';
const ID = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

let dir: string;
let meshDir: string;
let pilot: RunningPilot;
let app: Backend;
let relay: net.Server;
let gwCa: TestCa;
let a: IdentitySidecar;
let b: IdentitySidecar;
let gw: IdentitySidecar;
let simplePort: number;
let mutualPort: number;
let appPort: number;
let dbApp: net.Server;
let dbRelay: net.Server;
let dbPort: number;
const logs: string[] = [];

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secretYaml(name: string, cert: Issued, withCa: boolean): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(cert.certPem)}
  tls.key: ${b64(cert.keyPem)}
${withCa ? `  ca.crt: ${b64(cert.rootPem)}\n` : ''}`;
}

function meshYaml(): string {
  return `apiVersion: v1
kind: Service
metadata: { name: b, namespace: default, labels: { app: b } }
spec:
  clusterIP: ${B_CLUSTER_IP}
  selector: { app: b }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: b-1, namespace: default, labels: { app: b, security.istio.io/tlsMode: istio } }
spec:
  serviceAccountName: b
  containers:
    - { name: b, ports: [{ name: http, containerPort: ${appPort} }, { name: tcp-db, containerPort: ${dbPort} }] }
    - { name: istio-proxy }
status: { podIP: ${B_IP}, phase: Running }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: b-1, namespace: default, labels: { kubernetes.io/service-name: b } }
addressType: IPv4
ports: [{ name: http, port: ${appPort}, protocol: TCP }]
endpoints:
  - addresses: [${B_IP}]
    conditions: { ready: true }
    targetRef: { kind: Pod, namespace: default, name: b-1 }
---
# A TCP service on the same workload: its connections carry Istio's metadata exchange.
apiVersion: v1
kind: Service
metadata: { name: db, namespace: default, labels: { app: b } }
spec:
  clusterIP: ${DB_CLUSTER_IP}
  selector: { app: b }
  ports: [{ name: tcp-db, port: 5432, targetPort: tcp-db }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: db-1, namespace: default, labels: { kubernetes.io/service-name: db } }
addressType: IPv4
ports: [{ name: tcp-db, port: ${dbPort}, protocol: TCP }]
endpoints:
  - addresses: [${B_IP}]
    conditions: { ready: true }
    targetRef: { kind: Pod, namespace: default, name: b-1 }
---
apiVersion: v1
kind: Pod
metadata: { name: a-1, namespace: default, labels: { app: a, security.istio.io/tlsMode: istio } }
spec:
  serviceAccountName: a
  containers: [{ name: a }, { name: istio-proxy }]
status: { podIP: ${A_IP}, phase: Running }
---
# Every connection to b from A is a new one after 100 ms idle: rotations get exercised.
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: b, namespace: default }
spec:
  host: b
  trafficPolicy: { connectionPool: { http: { idleTimeout: 100ms } } }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: ${simplePort}, name: https, protocol: HTTPS }
      hosts: [${GW_HOST}]
      tls: { mode: SIMPLE, credentialName: gw-cert }
    - port: { number: ${mutualPort}, name: https-mtls, protocol: HTTPS }
      hosts: [${GW_HOST}]
      tls: { mode: MUTUAL, credentialName: gw-mtls }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: b-gw, namespace: default }
spec:
  hosts: [${GW_HOST}]
  gateways: [gw]
  http: [{ route: [{ destination: { host: b, port: { number: 80 } } }] }]
`;
}

function setPeerAuthentication(mode: string): void {
  writeFileSync(
    join(meshDir, 'peer-authentication.yaml'),
    `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: b, namespace: default }
spec:
  selector: { matchLabels: { app: b } }
  mtls: { mode: ${mode} }
`,
  );
}

/** A request from A's app to b, through A's outbound capture port. */
async function callB(path = '/'): Promise<number> {
  const res = await request(`http://${A_IP}:15001${path}`, {
    headers: { host: 'b.default.svc.cluster.local' },
  });
  await res.body.dump();
  return res.statusCode;
}

/** A client outside the mesh: plaintext straight to B's pod IP (captured into 15006). */
async function plainToB(): Promise<number> {
  const res = await request(`http://${B_IP}:${appPort}/`, { reset: true });
  await res.body.dump();
  return res.statusCode;
}

function gatewayGet(
  port: number,
  opts: { cert?: Issued } = {},
): Promise<{ status: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: GW_IP,
        port,
        path: '/via-gateway',
        servername: GW_HOST,
        headers: { host: GW_HOST },
        ca: gwCa.rootPem,
        cert: opts.cert?.certPem,
        key: opts.cert?.keyPem,
        agent: false,
      },
      (res) => {
        const serial = (res.socket as tls.TLSSocket).getPeerX509Certificate()?.serialNumber ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-mtls-'));
  meshDir = join(dir, 'mesh');
  app = await httpBackend('b-app');
  appPort = app.port;
  // db: an echo server on the pod's loopback, as the app b is.
  dbApp = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => dbApp.listen(0, '127.0.0.1', r));
  dbPort = (dbApp.address() as AddressInfo).port;
  simplePort = await freePort(GW_IP);
  mutualPort = await freePort(GW_IP);
  gwCa = await testCa();
  mkdirSync(meshDir);
  writeFileSync(join(meshDir, 'mesh.yaml'), meshYaml());
  writeFileSync(
    join(meshDir, 'gw-cert.yaml'),
    secretYaml('gw-cert', await gwCa.server([GW_HOST]), false),
  );
  writeFileSync(
    join(meshDir, 'gw-mtls.yaml'),
    secretYaml('gw-mtls', await gwCa.server([GW_HOST]), true),
  );
  setPeerAuthentication('PERMISSIVE');
  pilot = await startPilotWithCa({
    dir,
    configDir: meshDir,
    tokens: 'tok-a default a\ntok-b default b\ntok-gw default ingress-gw\n',
    log: (m) => logs.push(`pilot: ${m}`),
  });
  // iptables' REDIRECT to B's 15006, stood in for by relays on B's pod IP.
  relay = await startCaptureRelay(B_IP, appPort);
  dbRelay = await startCaptureRelay(B_IP, dbPort, B_DB_RELAY_IP);

  // A and B rotate their certificates every ~1.5 s; both wire telemetry (A's side
  // of the TCP metadata exchange sends A's metadata).
  const common = { pilot, dir, log: (l: string) => logs.push(l) };
  b = await startIdentitySidecar({
    ...common,
    node: {
      role: 'sidecar',
      podName: 'b-1',
      namespace: 'default',
      ips: [B_IP],
      labels: { app: 'b' },
      serviceAccount: 'b',
    },
    token: 'tok-b',
    dataPlane: {
      bindIp: B_IP,
      originalDestination: (s) =>
        s.localPort !== 15006
          ? undefined
          : { address: B_IP, port: s.remoteAddress === B_DB_RELAY_IP ? dbPort : appPort },
    },
    ttlSeconds: 3,
    telemetry: true,
  });
  a = await startIdentitySidecar({
    ...common,
    node: {
      role: 'sidecar',
      podName: 'a-1',
      namespace: 'default',
      ips: [A_IP],
      labels: { app: 'a' },
      serviceAccount: 'a',
    },
    token: 'tok-a',
    dataPlane: {
      bindIp: A_IP,
      originalDestination: (s) =>
        s.localPort !== 15001
          ? undefined
          : s.remoteAddress === A_DB_CLIENT_IP
            ? { address: DB_CLUSTER_IP, port: 5432 }
            : { address: B_CLUSTER_IP, port: 80 },
    },
    ttlSeconds: 3,
    telemetry: true,
  });
  gw = await startIdentitySidecar({
    ...common,
    node: {
      role: 'router',
      podName: 'gw-1',
      namespace: 'default',
      ips: [GW_IP],
      labels: { istio: 'ingressgateway' },
      serviceAccount: 'ingress-gw',
    },
    token: 'tok-gw',
    dataPlane: { bindIp: GW_IP },
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([
    stopIdentitySidecar(a),
    stopIdentitySidecar(b),
    stopIdentitySidecar(gw),
  ]);
  await pilot?.stop().catch(() => {});
  relay?.close();
  dbRelay?.close();
  dbApp?.close();
  await app?.close();
  gwCa?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mesh mTLS end to end', () => {
  it('A to B is mutual TLS: B sees A\u2019s SPIFFE identity, and its metrics say mutual_tls', async () => {
    await until(async () => (await callB('/first')) === 200, 'A to reach b');
    const rec = b.records.findLast((r) => r.path === '/first')!;
    expect(rec).toMatchObject({
      direction: 'inbound',
      peerPrincipal: ID('a'),
      localPrincipal: ID('b'),
    });
    expect(a.records.findLast((r) => r.path === '/first')).toMatchObject({
      direction: 'outbound',
      peerPrincipal: ID('b'),
      localPrincipal: ID('a'),
    });
    const samples = await scrape(`http://127.0.0.1:${b.wired!.stats.port}/stats/prometheus`);
    const series = samples.find(
      (s) =>
        s.name === 'istio_requests_total' &&
        s.labels.reporter === 'destination' &&
        s.labels.source_principal === ID('a'),
    );
    expect(series?.labels).toMatchObject({
      connection_security_policy: 'mutual_tls',
      destination_principal: ID('b'),
    });
  });

  it('TCP over mTLS exchanges peer metadata: both sides\u2019 TCP metrics name the other workload', async () => {
    const echo = async (): Promise<string> => {
      const socket = net.connect({ host: A_IP, port: 15001, localAddress: A_DB_CLIENT_IP });
      socket.end('select 1');
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    await until(async () => (await echo()) === 'select 1', 'A to reach db over TCP');
    const opened = async (proxy: IdentitySidecar, reporter: string) =>
      (await scrape(`http://127.0.0.1:${proxy.wired!.stats.port}/stats/prometheus`)).find(
        (x) =>
          x.name === 'istio_tcp_connections_opened_total' &&
          x.labels.reporter === reporter &&
          x.labels.destination_service_name === 'db',
      )?.labels;
    await until(async () => (await opened(b, 'destination')) !== undefined, 'db metrics at B');
    // Without the exchange the server only knows the peer's principal, and says unknown.
    expect(await opened(b, 'destination')).toMatchObject({
      source_workload: 'a',
      source_principal: ID('a'),
      destination_workload: 'b',
      connection_security_policy: 'mutual_tls',
    });
    expect(await opened(a, 'source')).toMatchObject({
      source_workload: 'a',
      destination_workload: 'b',
      destination_principal: ID('b'),
    });
  });

  it('PERMISSIVE accepts plaintext from a non-mesh client on the same port; STRICT refuses it', async () => {
    expect(await plainToB()).toBe(200);
    expect(b.records.at(-1)).toMatchObject({ peerPrincipal: '', localPrincipal: '' });
    setPeerAuthentication('STRICT');
    await until(
      async () =>
        !(await plainToB().then(
          () => true,
          () => false,
        )),
      'STRICT to refuse plaintext',
    );
    // The mesh client still gets through, over mTLS.
    expect(await callB('/strict')).toBe(200);
    expect(b.records.findLast((r) => r.path === '/strict')?.peerPrincipal).toBe(ID('a'));
  });

  it('rotation with a 3 s certificate lifetime under steady traffic loses no request', async () => {
    const serials = { a: new Set<string>(), b: new Set<string>() };
    serials.a.add(a.identity.current().serial);
    serials.b.add(b.identity.current().serial);
    const offA = a.identity.onChange((m) => serials.a.add(m.serial));
    const offB = b.identity.onChange((m) => serials.b.add(m.serial));
    const statuses: number[] = [];
    const end = Date.now() + 5000;
    // One client back to back (pooled connections), one with pauses longer than the
    // pool's idle timeout (a new A→B handshake each time).
    const busy = async () => {
      while (Date.now() < end) statuses.push(await callB('/busy').catch(() => 0));
    };
    const paced = async () => {
      while (Date.now() < end) {
        statuses.push(await callB('/paced').catch(() => 0));
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    await Promise.all([busy(), paced()]);
    offA();
    offB();
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(serials.a.size).toBeGreaterThanOrEqual(3);
    expect(serials.b.size).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => /rotating .* failed/.test(l))).toEqual([]);
  }, 20_000);

  it('gateway SIMPLE: a real HTTPS client gets through the gateway and over mTLS to B', async () => {
    await until(
      async () => (await gatewayGet(simplePort)).status === 200,
      'the gateway to serve HTTPS',
    );
    expect(b.records.findLast((r) => r.path === '/via-gateway')?.peerPrincipal).toBe(
      ID('ingress-gw'),
    );
  });

  it('gateway MUTUAL: refused without a client certificate, served with one from the CA', async () => {
    const client = await gwCa.workload('default', 'partner');
    await until(
      async () => (await gatewayGet(mutualPort, { cert: client })).status === 200,
      'MUTUAL to serve',
    );
    await expect(gatewayGet(mutualPort)).rejects.toThrow();
    const stranger = await testCa();
    try {
      await expect(
        gatewayGet(mutualPort, { cert: await stranger.workload('default', 'partner') }),
      ).rejects.toThrow();
    } finally {
      stranger.close();
    }
  });

  it('a changed credential Secret reaches new handshakes without a restart', async () => {
    const fresh = await gwCa.server([GW_HOST]);
    const want = new X509Certificate(fresh.certPem).serialNumber;
    expect((await gatewayGet(simplePort)).serial).not.toBe(want);
    writeFileSync(join(meshDir, 'gw-cert.yaml'), secretYaml('gw-cert', fresh, false));
    await until(async () => (await gatewayGet(simplePort)).serial === want, 'the new certificate');
  });
});
