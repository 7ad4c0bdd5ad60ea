// AuthorizationPolicy on TCP traffic, end to end: a real pilot in file mode with its
// CA serves a Petrel sidecar next to a database-like workload `db` (two TCP ports and
// an HTTP port, PeerAuthentication STRICT). Clients are real mTLS clients holding
// workload certificates from the same mesh CA (what a client sidecar presents):
// `good` and `bad`. Pilot's network RBAC makes the sidecar admit or close each
// connection before anything reaches the app; edits of the policy YAML take effect
// live. The app behind the HTTP port sees x-forwarded-client-cert naming the caller.
//
// Capture is stood in for as in mtls.e2e.test.ts: a relay per app port on the pod IP
// forwards to the sidecar's 15006 from its own source address, which the
// original-destination lookup maps back to the port the client dialled.
import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiffeServerIdentityCheck } from '../../api/istio/ca/spiffe.ts';
import { MeshCa } from '../../pilot/ca/mesh-ca.ts';
import type { RunningPilot } from '../../pilot/main.ts';
import { createKeyAndCsr } from '../../sidecar/identity/key-csr.ts';
import { startCaptureRelay } from '../support/mesh/capture-relay.ts';
import {
  startIdentitySidecar,
  startPilotWithCa,
  stopIdentitySidecar,
  type IdentitySidecar,
} from '../support/mesh/identity-sidecar.ts';
import { until } from '../support/until.ts';
import { httpBackend, type Backend } from './proxy/support/backends.ts';

const DB_IP = '127.0.78.1';
/** Relay source addresses, one per app port: how the stand-in tells the dialled port. */
const RELAY_FROM = ['127.0.78.11', '127.0.78.12', '127.0.78.13'];
const ID = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

interface Client {
  certPem: string;
  keyPem: string;
}

interface TcpApp {
  server: net.Server;
  port: number;
  accepted: number;
  received: string;
}

let dir: string;
let meshDir: string;
let pilot: RunningPilot;
let root: string;
let pg: TcpApp;
let admin: TcpApp;
let web: Backend;
let relays: net.Server[] = [];
let sidecar: IdentitySidecar;
const clients: Record<'good' | 'bad', Client> = {} as Record<'good' | 'bad', Client>;

async function tcpApp(name: string): Promise<TcpApp> {
  const app: TcpApp = { server: net.createServer(), port: 0, accepted: 0, received: '' };
  app.server.on('connection', (s) => {
    app.accepted++;
    s.on('data', (d: Buffer) => {
      app.received += d.toString();
      s.write(`${name}:${d.toString()}`);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r));
  app.port = (app.server.address() as net.AddressInfo).port;
  return app;
}

function meshYaml(): string {
  return `apiVersion: v1
kind: Service
metadata: { name: db, namespace: default, labels: { app: db } }
spec:
  clusterIP: 10.96.78.10
  selector: { app: db }
  ports:
    - { name: tcp-pg, port: 5432, targetPort: ${pg.port} }
    - { name: tcp-admin, port: 9000, targetPort: ${admin.port} }
    - { name: http, port: 8080, targetPort: ${web.port} }
---
apiVersion: v1
kind: Pod
metadata: { name: db-1, namespace: default, labels: { app: db, security.istio.io/tlsMode: istio } }
spec:
  serviceAccountName: db
  containers: [{ name: db }, { name: istio-proxy }]
status: { podIP: ${DB_IP}, phase: Running }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: db-1, namespace: default, labels: { kubernetes.io/service-name: db } }
addressType: IPv4
ports:
  - { name: tcp-pg, port: ${pg.port}, protocol: TCP }
  - { name: tcp-admin, port: ${admin.port}, protocol: TCP }
  - { name: http, port: ${web.port}, protocol: TCP }
endpoints:
  - addresses: [${DB_IP}]
    conditions: { ready: true }
    targetRef: { kind: Pod, namespace: default, name: db-1 }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: db, namespace: default }
spec:
  selector: { matchLabels: { app: db } }
  mtls: { mode: STRICT }
`;
}

function writePolicy(file: string, action: string, rules: string): void {
  writeFileSync(
    join(meshDir, file),
    `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${file.replace('.yaml', '')}, namespace: default }
spec:
  selector: { matchLabels: { app: db } }
  action: ${action}
  rules: ${rules}
`,
  );
}

async function issue(ca: MeshCa, serviceAccount: string): Promise<Client> {
  const key = await createKeyAndCsr({
    trustDomain: 'cluster.local',
    namespace: 'default',
    serviceAccount,
  });
  const chain = await ca.signCsr(key.csrPem, { namespace: 'default', serviceAccount }, 3600);
  return { certPem: chain.slice(0, -1).join(''), keyPem: key.keyPem };
}

/** What a connection to the app on `port` got back, or '' when the sidecar closed it. */
function tcpCall(port: number, who: Client, msg: string): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const s = tls.connect({
      host: DB_IP,
      port,
      ca: root,
      cert: who.certPem,
      key: who.keyPem,
      servername: `outbound_.${port}_._.db.default.svc.cluster.local`,
      checkServerIdentity: spiffeServerIdentityCheck([ID('db')]),
    });
    s.on('secureConnect', () => s.write(msg));
    s.on('data', (d: Buffer) => {
      reply += d.toString();
      s.end();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(reply));
  });
}

function httpCall(
  who: Client,
  method = 'GET',
): Promise<{ status: number; xfcc: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: DB_IP,
        port: web.port,
        path: '/orders',
        method,
        ca: root,
        cert: who.certPem,
        key: who.keyPem,
        agent: false,
        checkServerIdentity: spiffeServerIdentityCheck([ID('db')]),
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          const seen = res.statusCode === 200 ? web.seen.at(-1)?.headers : undefined;
          const xfcc = seen?.['x-forwarded-client-cert'];
          resolve({
            status: res.statusCode!,
            xfcc: Array.isArray(xfcc) ? xfcc.join() : xfcc,
            body,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-tcp-authz-'));
  meshDir = join(dir, 'mesh');
  mkdirSync(meshDir);
  pg = await tcpApp('pg');
  admin = await tcpApp('admin');
  web = await httpBackend('web');
  writeFileSync(join(meshDir, 'mesh.yaml'), meshYaml());
  writePolicy(
    'allow-good.yaml',
    'ALLOW',
    `[{ from: [{ source: { principals: [cluster.local/ns/default/sa/good] } }] }]`,
  );
  pilot = await startPilotWithCa({ dir, configDir: meshDir, tokens: 'tok-db default db\n' });
  root = pilot.rootCertPem!;
  // The mesh CA's root as pilot keeps it: clients get workload certificates from it.
  const ca = await MeshCa.create({ stateDir: join(dir, 'ca') });
  clients.good = await issue(ca, 'good');
  clients.bad = await issue(ca, 'bad');

  const dialled = new Map<string, number>();
  for (const [i, port] of [pg.port, admin.port, web.port].entries()) {
    dialled.set(RELAY_FROM[i]!, port);
    relays.push(await startCaptureRelay(DB_IP, port, RELAY_FROM[i]));
  }

  sidecar = await startIdentitySidecar({
    pilot,
    dir,
    node: {
      role: 'sidecar',
      podName: 'db-1',
      namespace: 'default',
      ips: [DB_IP],
      labels: { app: 'db' },
      serviceAccount: 'db',
    },
    token: 'tok-db',
    dataPlane: {
      bindIp: DB_IP,
      originalDestination: (s) => {
        const port = s.localPort === 15006 ? dialled.get(s.remoteAddress ?? '') : undefined;
        return port ? { address: DB_IP, port } : undefined;
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await stopIdentitySidecar(sidecar);
  await pilot?.stop().catch(() => {});
  for (const r of relays) r.close();
  pg?.server.close();
  admin?.server.close();
  await web?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuthorizationPolicy on TCP traffic through a Petrel sidecar', () => {
  it('an ALLOW policy by principal admits one mTLS identity and closes the other before the app sees it', async () => {
    await until(
      async () => (await tcpCall(pg.port, clients.good, 'hi')) === 'pg:hi',
      'good to reach pg',
    );
    const before = pg.accepted;
    expect(await tcpCall(pg.port, clients.bad, 'DROP TABLE')).toBe('');
    expect(await tcpCall(pg.port, clients.good, 'again')).toBe('pg:again');
    // Only the good client's connection reached the app, and not a byte of the bad one's.
    expect(pg.accepted).toBe(before + 1);
    expect(pg.received).not.toContain('DROP TABLE');
    const refused = sidecar.records.findLast(
      (r) => r.protocol === 'TCP' && r.peerPrincipal === ID('bad'),
    )!;
    expect(refused).toMatchObject({
      direction: 'inbound',
      localPrincipal: ID('db'),
      upstreamHost: '',
      connectionTerminationDetails: 'rbac_access_denied_matched_policy[none]',
    });
  });

  it('the app behind the sidecar sees x-forwarded-client-cert with the caller and the hash of its certificate', async () => {
    const r = await httpCall(clients.good);
    expect(r.status).toBe(200);
    const hash = createHash('sha256')
      .update(new X509Certificate(clients.good.certPem).raw)
      .digest('hex');
    expect(r.xfcc).toBe(`By=${ID('db')};Hash=${hash};Subject="";URI=${ID('good')}`);
    // The same ALLOW policy refuses the other identity over HTTP with 403.
    expect(await httpCall(clients.bad)).toMatchObject({ status: 403, body: 'RBAC: access denied' });
  });

  it('a DENY policy by port closes connections to that port only', async () => {
    expect(await tcpCall(admin.port, clients.good, 'status')).toBe('admin:status');
    writePolicy(
      'deny-admin.yaml',
      'DENY',
      `[{ to: [{ operation: { ports: ['${admin.port}'] } }] }]`,
    );
    await until(
      async () => (await tcpCall(admin.port, clients.good, 'status')) === '',
      'the DENY to apply',
    );
    const before = admin.accepted;
    expect(await tcpCall(admin.port, clients.good, 'shutdown')).toBe('');
    expect(admin.accepted).toBe(before);
    expect(admin.received).not.toContain('shutdown');
    expect(await tcpCall(pg.port, clients.good, 'still')).toBe('pg:still');
    expect(
      sidecar.records.findLast(
        (r) => r.peerPrincipal === ID('good') && r.connectionTerminationDetails,
      ),
    ).toMatchObject({
      connectionTerminationDetails: `rbac_access_denied_matched_policy[ns[default]-policy[deny-admin]-rule[0]]`,
    });
  });

  it('an ALLOW policy with only HTTP fields refuses every TCP connection and still serves HTTP', async () => {
    writePolicy('allow-good.yaml', 'ALLOW', `[{ to: [{ operation: { methods: [GET] } }] }]`);
    await until(
      async () => (await httpCall(clients.bad)).status === 200,
      'the HTTP-only ALLOW to apply',
    );
    const before = pg.accepted;
    expect(await tcpCall(pg.port, clients.good, 'hello')).toBe('');
    expect(await tcpCall(pg.port, clients.bad, 'hello')).toBe('');
    expect(pg.accepted).toBe(before);
    expect((await httpCall(clients.good, 'POST')).status).toBe(403);
    expect((await httpCall(clients.good)).status).toBe(200);
  });
});
