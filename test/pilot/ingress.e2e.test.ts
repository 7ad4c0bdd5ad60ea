// End to end: a Kubernetes Ingress (class petrel) in pilot's config dir is served
// by Petrel's gateway proxy, configured only by pilot over ADS — real HTTP and
// HTTPS requests reach the backends the Ingress names, a request no path matches
// gets 404, the TLS secret's certificate is the one served, and an edit of the
// Ingress reroutes. The gateway's Service (istio-ingressgateway, 80 → a free port,
// 443 → another) makes the proxy bind unprivileged ports, as in a cluster.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startGatewayUnderPilot,
  type GatewayUnderPilot,
} from '../support/mesh/gateway-under-pilot.ts';
import { httpWorkloadsYaml } from '../support/mesh/http-workloads.ts';
import { httpBackend, send, type Backend } from '../sidecar/proxy/support/backends.ts';
import { testCa, type Issued, type TestCa } from '../sidecar/proxy/tls/support/certs.ts';

const HOST = 'shop.example.com';
let dir: string;
let mesh: GatewayUnderPilot;
let httpPort: number;
let httpsPort: number;
let ca: TestCa;
let cert: Issued;
const backends: Record<string, Backend> = {};

const b64 = (s: string) => Buffer.from(s).toString('base64');

function gatewayServiceYaml(): string {
  return `apiVersion: v1
kind: Service
metadata: { name: istio-ingressgateway, namespace: default }
spec:
  type: LoadBalancer
  clusterIP: 10.96.9.200
  selector: { istio: ingressgateway }
  ports:
    - { name: http2, port: 80, targetPort: ${httpPort} }
    - { name: https, port: 443, targetPort: ${httpsPort} }
`;
}

function ingressYaml(apiPath: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: default }
spec:
  ingressClassName: petrel
  tls: [{ hosts: [${HOST}], secretName: shop-cert }]
  rules:
    - host: ${HOST}
      http:
        paths:
          - { path: ${apiPath}, pathType: Prefix, backend: { service: { name: api, port: { name: http } } } }
          - { path: /, pathType: Exact, backend: { service: { name: web, port: { number: 8001 } } } }
`;
}

/** Which backend answered (x-backend), or the status when none did. */
async function who(path: string, host = HOST): Promise<string> {
  const r = await send(`http://127.0.0.1:${httpPort}${path}`, { headers: { host } });
  return r.status === 200 ? String(r.headers['x-backend']) : `status:${r.status}`;
}

function httpsGet(path: string): Promise<{ backend: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path,
        servername: HOST,
        headers: { host: HOST },
        ca: ca.rootPem,
        agent: false,
      },
      (res) => {
        const serial = (res.socket as tls.TLSSocket).getPeerX509Certificate()?.serialNumber ?? '';
        res.resume();
        res.on('end', () => resolve({ backend: String(res.headers['x-backend']), serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-ingress-e2e-'));
  httpPort = await freePort();
  httpsPort = await freePort();
  backends.web = await httpBackend('web');
  backends.api = await httpBackend('api');
  ca = await testCa();
  cert = await ca.server([HOST]);
  writeFileSync(
    join(dir, 'web.yaml'),
    httpWorkloadsYaml('web', 8001, [{ version: 'v1', port: backends.web.port }]),
  );
  writeFileSync(
    join(dir, 'api.yaml'),
    httpWorkloadsYaml('api', 8002, [{ version: 'v1', port: backends.api.port }]),
  );
  writeFileSync(join(dir, 'gateway-service.yaml'), gatewayServiceYaml());
  writeFileSync(
    join(dir, 'shop-cert.yaml'),
    `apiVersion: v1
kind: Secret
metadata: { name: shop-cert, namespace: default }
type: kubernetes.io/tls
data: { tls.crt: ${b64(cert.certPem)}, tls.key: ${b64(cert.keyPem)} }
`,
  );
  writeFileSync(join(dir, 'ingress.yaml'), ingressYaml('/api'));
  mesh = await startGatewayUnderPilot(dir);
  await until('the gateway to route the Ingress', async () => (await who('/api')) === 'api');
}, 30_000);

afterAll(async () => {
  await mesh?.stop();
  await Promise.all(Object.values(backends).map((b) => b.close()));
  ca?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Kubernetes Ingress served by the gateway', () => {
  it('routes each path to its backend: Prefix /api (port by name) covers /api and /api/…, Exact / only /', async () => {
    expect(await who('/api')).toBe('api');
    expect(await who('/api/orders/7')).toBe('api');
    expect(await who('/')).toBe('web');
    expect(backends.api!.seen.at(-1)?.url).toBe('/api/orders/7');
  });

  it('answers 404 to a request no path or host matches', async () => {
    expect(await who('/apiary')).toBe('status:404');
    expect(await who('/index.html')).toBe('status:404');
    expect(await who('/api', 'other.example.com')).toBe('status:404');
  });

  it("serves HTTPS for the TLS host with the secret's certificate", async () => {
    await until(
      'the gateway to serve HTTPS',
      async () => (await httpsGet('/api/x')).backend === 'api',
    );
    const { backend, serial } = await httpsGet('/');
    expect(backend).toBe('web');
    expect(serial).toBe(new X509Certificate(cert.certPem).serialNumber);
  });

  it("shows the Ingress's Gateway and routes in pilot's config dump for the gateway", async () => {
    const res = await fetch(
      `http://127.0.0.1:${mesh.pilot.monitoringPort}/debug/config_dump?proxyID=gw-1.default`,
    );
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain(
      'https.443.https-443-ingress-shop-default-0.shop-istio-autogenerated-k8s-ingress-default.istio-system',
    );
    expect(text).toContain(`"${HOST}"`);
  });

  it('follows an edit of the Ingress', async () => {
    writeFileSync(join(dir, 'ingress.yaml'), ingressYaml('/store'));
    await until('the new path', async () => (await who('/store/cart')) === 'api');
    expect(await who('/api')).toBe('status:404');
  });
});
