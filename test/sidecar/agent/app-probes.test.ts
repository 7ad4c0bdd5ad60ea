// The status port running the app's own probes, against real apps on 127.0.0.1:
// an HTTP(S) server, a TCP listener and a grpc-js health server. Every probe
// must leave from the passthrough source 127.0.0.6, which the capture rules
// never redirect to the inbound listener.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateServingCertificate } from '../../../injector/serving-cert.ts';
import { parseAppProbers } from '../../../sidecar/agent/app-probers.ts';
import { appProbeHandler } from '../../../sidecar/agent/app-probes.ts';
import { Readiness, startStatusServer } from '../../../sidecar/agent/health.ts';
import type { ListeningServer } from '../../../sidecar/agent/http-listen.ts';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  from: string;
}

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;

/** The app: /ok 200, /down 503, /hang never answers, redirects, and a record of what it was sent. */
function appHandler(seen: Seen[]) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const path = req.url ?? '/';
    seen.push({ path, headers: req.headers, from: req.socket.remoteAddress ?? '' });
    if (path === '/ok') return res.writeHead(200).end('fine');
    if (path === '/down') return res.writeHead(503).end('database unreachable');
    if (path === '/hang') return; // the probe's timeout must end it
    if (path === '/moved') return res.writeHead(302, { location: '/ok' }).end();
    if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (path === '/away')
      return res.writeHead(301, { location: 'http://elsewhere.invalid/x' }).end();
    res.writeHead(404).end('no such page');
  };
}

async function listening<T extends Server | import('node:net').Server>(server: T): Promise<T> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    (server as Server).closeAllConnections?.();
    return new Promise((r) => server.close(r));
  });
  return server;
}

async function httpApp(): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await listening(createServer(appHandler(seen)));
  return { port: portOf(server), seen };
}

/** The agent's status server with these probers; probes go to 127.0.0.1 as the pod IP. */
async function statusWith(probers: Record<string, unknown>): Promise<ListeningServer> {
  const status = await startStatusServer({
    readiness: new Readiness({ initialized: () => true, notReadyReason: () => '' }),
    port: 0,
    host: '127.0.0.1',
    appProbes: appProbeHandler({
      probers: parseAppProbers(JSON.stringify(probers)),
      podIps: ['127.0.0.1'],
    }),
  });
  cleanups.push(() => status.close());
  return status;
}

async function probe(
  status: ListeningServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${status.port}${path}`, { headers });
  return { status: res.status, body: await res.text() };
}

const http = (path: string, port: number, extra: object = {}) => ({
  httpGet: { path, port, ...extra },
});

describe('httpGet app probes', () => {
  it("passes the app's status and body back, and 500 when the app cannot be reached", async () => {
    const app = await httpApp();
    const closed = await listening(createTcpServer());
    const closedPort = portOf(closed);
    await new Promise((r) => closed.close(r));
    const status = await statusWith({
      '/app-health/reviews/readyz': http('/ok', app.port),
      '/app-health/reviews/livez': http('down', app.port), // no leading slash: added, as Istio does
      '/app-health/reviews/startupz': http('/ok', closedPort),
    });
    expect(await probe(status, '/app-health/reviews/readyz')).toEqual({
      status: 200,
      body: 'fine',
    });
    expect(await probe(status, '/app-health/reviews/livez')).toEqual({
      status: 503,
      body: 'database unreachable',
    });
    const refused = await probe(status, '/app-health/reviews/startupz');
    expect(refused.status).toBe(500);
    expect(refused.body).toContain('ECONNREFUSED');
    expect(app.seen.map((s) => s.path)).toEqual(['/ok', '/down']);
    expect(app.seen.every((s) => s.from === '127.0.0.6')).toBe(true);
  });

  it('answers 404 for a path with no prober', async () => {
    const status = await statusWith({ '/app-health/reviews/readyz': { tcpSocket: { port: 1 } } });
    expect((await probe(status, '/app-health/ratings/readyz')).status).toBe(404);
    expect((await probe(status, '/app-lifecycle/reviews/prestopz')).status).toBe(404);
  });

  it('fails with 500 once timeoutSeconds passes without an answer', async () => {
    const app = await httpApp();
    const status = await statusWith({
      '/app-health/reviews/livez': { ...http('/hang', app.port), timeoutSeconds: 1 },
    });
    const res = await probe(status, '/app-health/reviews/livez');
    expect(res.status).toBe(500);
    expect(res.body).toContain('no answer within 1000 ms');
  });

  it('follows redirects on the same host, passes one to another host, and stops a loop at 10', async () => {
    const app = await httpApp();
    const status = await statusWith({
      '/app-health/a/readyz': http('/moved', app.port),
      '/app-health/b/readyz': http('/away', app.port),
      '/app-health/c/readyz': http('/loop', app.port),
    });
    expect(await probe(status, '/app-health/a/readyz')).toEqual({ status: 200, body: 'fine' });
    expect(app.seen.map((s) => s.path)).toEqual(['/moved', '/ok']);
    // The kubelet counts a redirect off the pod as success without following it.
    expect(await probe(status, '/app-health/b/readyz')).toEqual({ status: 200, body: '' });
    expect(app.seen.at(-1)!.path).toBe('/away');
    const loop = await probe(status, '/app-health/c/readyz');
    expect(loop.status).toBe(500);
    expect(loop.body).toContain('stopped after 10 redirects');
    expect(app.seen.filter((s) => s.path === '/loop')).toHaveLength(10);
  });

  it("sends the kubelet's headers and the probe's own, with the app's port in Host", async () => {
    const app = await httpApp();
    const status = await statusWith({
      '/app-health/reviews/readyz': http('/ok', app.port, {
        httpHeaders: [{ name: 'X-Probe', value: 'petrel' }],
      }),
      '/app-health/reviews/livez': http('/ok', app.port, {
        httpHeaders: [{ name: 'Host', value: 'reviews.bookinfo' }],
      }),
    });
    await probe(status, '/app-health/reviews/readyz', {
      'user-agent': 'kube-probe/1.32',
      'x-probe': 'petrel',
    });
    const sent = app.seen[0]!.headers;
    expect(sent['user-agent']).toBe('kube-probe/1.32');
    expect(sent['x-probe']).toBe('petrel');
    expect(sent.host).toBe(`127.0.0.1:${app.port}`);
    expect(sent.connection).toBe('close');
    // A caller that is not the kubelet still gets the probe's headers.
    await probe(status, '/app-health/reviews/livez');
    expect(app.seen[1]!.headers.host).toBe('reviews.bookinfo');
  });

  it('probes an HTTPS app without verifying its certificate, as the kubelet does', async () => {
    const cert = await generateServingCertificate({ dnsNames: ['reviews'], ips: ['127.0.0.1'] });
    const seen: Seen[] = [];
    const server = await listening(
      createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, appHandler(seen)),
    );
    const status = await statusWith({
      '/app-health/reviews/readyz': http('/ok', portOf(server), { scheme: 'HTTPS' }),
    });
    expect(await probe(status, '/app-health/reviews/readyz')).toEqual({
      status: 200,
      body: 'fine',
    });
    expect(seen[0]!.from).toBe('127.0.0.6');
  });
});

describe('tcpSocket app probes', () => {
  it('passes when the port accepts a connection and fails when nothing listens', async () => {
    const peers: string[] = [];
    const open = await listening(
      createTcpServer((socket) => {
        peers.push(socket.remoteAddress ?? '');
        socket.destroy();
      }),
    );
    const closed = await listening(createTcpServer());
    const closedPort = portOf(closed);
    await new Promise((r) => closed.close(r));
    const status = await statusWith({
      '/app-health/db/livez': { tcpSocket: { port: portOf(open) } },
      '/app-health/db/readyz': { tcpSocket: { port: closedPort } },
    });
    expect((await probe(status, '/app-health/db/livez')).status).toBe(200);
    const failed = await probe(status, '/app-health/db/readyz');
    expect(failed.status).toBe(500);
    expect(failed.body).toContain('ECONNREFUSED');
    expect(peers).toEqual(['127.0.0.6']);
  });
});

describe('grpc app probes', () => {
  let health: HealthImplementation;
  let grpcPort = 0;
  let bare = 0;
  const peers: string[] = [];
  beforeAll(async () => {
    const bind = (server: grpc.Server) =>
      new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
          err ? reject(err) : resolve(port),
        ),
      );
    const server = new grpc.Server({
      interceptors: [
        (_method, call) => {
          peers.push(call.getPeer());
          return new grpc.ServerInterceptingCall(call);
        },
      ],
    });
    health = new HealthImplementation({ '': 'SERVING', reviews: 'NOT_SERVING' });
    health.addToServer(server);
    grpcPort = await bind(server);
    const withoutHealth = new grpc.Server();
    bare = await bind(withoutHealth);
    return () => {
      server.forceShutdown();
      withoutHealth.forceShutdown();
    };
  });

  it('passes on SERVING and fails on NOT_SERVING, an unknown service, or no health service', async () => {
    const status = await statusWith({
      '/app-health/all/readyz': { grpc: { port: grpcPort } },
      '/app-health/reviews/readyz': { grpc: { port: grpcPort, service: 'reviews' } },
      '/app-health/ratings/readyz': { grpc: { port: grpcPort, service: 'ratings' } },
      '/app-health/bare/readyz': { grpc: { port: bare } },
    });
    expect((await probe(status, '/app-health/all/readyz')).status).toBe(200);
    const notServing = await probe(status, '/app-health/reviews/readyz');
    expect(notServing).toMatchObject({ status: 500 });
    expect(notServing.body).toContain('health status NOT_SERVING');
    expect((await probe(status, '/app-health/ratings/readyz')).body).toContain(
      'service "ratings" unknown',
    );
    expect((await probe(status, '/app-health/bare/readyz')).body).toContain(
      'does not implement the grpc health protocol',
    );
    health.setStatus('reviews', 'SERVING');
    expect((await probe(status, '/app-health/reviews/readyz')).status).toBe(200);
    expect(peers.length).toBeGreaterThan(0);
    expect(peers.every((p) => p.startsWith('127.0.0.6:'))).toBe(true);
  });
});
