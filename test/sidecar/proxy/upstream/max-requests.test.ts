// max_requests_per_connection (HttpProtocolOptions.common_http_protocol_options, and
// the deprecated Cluster field Istio's older translations used): an upstream
// connection carries at most N requests, HTTP/1.1 and HTTP/2 alike, and the next
// request goes over a new connection. Backends count the connections they accept.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { compileCluster } from '../../../../sidecar/proxy/upstream/cluster-spec.ts';
import { send } from '../support/backends.ts';
import {
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  toCluster,
  vhost,
} from '../support/envoy.ts';

type Obj = Record<string, unknown>;

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function protocolOptions(explicit: Obj, common: Obj): Obj {
  return {
    typed_extension_protocol_options: {
      [HTTP_OPTIONS]: {
        '@type': `type.googleapis.com/${HTTP_OPTIONS}`,
        explicit_http_config: explicit,
        common_http_protocol_options: common,
      },
    },
  };
}

interface Counting {
  port: number;
  /** Connections (HTTP/1.1) or sessions (HTTP/2) accepted so far. */
  connections(): number;
  /** Of those, the ones still open. */
  open(): number;
  close(): Promise<void>;
}

async function countingH1(): Promise<Counting> {
  let n = 0;
  let open = 0;
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('connection', (s) => {
    n++;
    open++;
    s.once('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    open: () => open,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function countingH2(): Promise<Counting> {
  let n = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (s) => {
    n++;
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    open: () => sessions.size,
    close: () =>
      new Promise((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('max_requests_per_connection', () => {
  let h1Limited: Counting;
  let h1Legacy: Counting;
  let h1Unlimited: Counting;
  let h2Limited: Counting;
  let dp: ProxyDataPlane;
  let url: (path: string) => string;

  beforeAll(async () => {
    h1Limited = await countingH1();
    h1Legacy = await countingH1();
    h1Unlimited = await countingH1();
    h2Limited = await countingH2();
    const p = await startProxy({
      clusters: [
        staticCluster(
          'h1-limited',
          [['127.0.0.1', h1Limited.port]],
          protocolOptions(
            { http_protocol_options: {} },
            { max_requests_per_connection: { value: 2 } },
          ),
        ),
        staticCluster('h1-legacy', [['127.0.0.1', h1Legacy.port]], {
          max_requests_per_connection: { value: 1 },
        }),
        staticCluster('h1-unlimited', [['127.0.0.1', h1Unlimited.port]]),
        staticCluster(
          'h2-limited',
          [['127.0.0.1', h2Limited.port]],
          protocolOptions(
            { http2_protocol_options: {} },
            { max_requests_per_connection: { value: 2 } },
          ),
        ),
      ],
      routes: [
        routeConfig('r', [
          vhost(
            'all',
            ['*'],
            [
              toCluster('h1-limited', '/h1-limited'),
              toCluster('h1-legacy', '/h1-legacy'),
              toCluster('h1-unlimited', '/h1-unlimited'),
              toCluster('h2-limited', '/h2-limited'),
            ],
          ),
        ]),
      ],
      listeners: [
        httpListener('l', {
          rds: { route_config_name: 'r', config_source: { ads: {} } },
        }),
      ],
    });
    dp = p.dp;
    url = (path) => p.url(path);
  });

  afterAll(async () => {
    dp?.close();
    for (const b of [h1Limited, h1Legacy, h1Unlimited, h2Limited]) await b?.close();
  });

  async function sequential(path: string, n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await send(url(path))).status);
    return statuses;
  }

  it('HTTP/1.1: a limit of 2 spreads 6 sequential requests over 3 upstream connections', async () => {
    expect(await sequential('/h1-limited', 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(h1Limited.connections()).toBe(3);
    // Each connection's last request said `connection: close`: none is left open.
    await vi.waitFor(() => expect(h1Limited.open()).toBe(0));
  });

  it('the deprecated Cluster.max_requests_per_connection still applies (1: one connection per request)', async () => {
    expect(await sequential('/h1-legacy', 4)).toEqual([200, 200, 200, 200]);
    expect(h1Legacy.connections()).toBe(4);
  });

  it('without a limit one kept-alive connection carries them all', async () => {
    expect(await sequential('/h1-unlimited', 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(h1Unlimited.connections()).toBe(1);
  });

  it('HTTP/2: a session takes 2 streams, then new streams go to a fresh session', async () => {
    expect(await sequential('/h2-limited', 5)).toEqual([200, 200, 200, 200, 200]);
    expect(h2Limited.connections()).toBe(3);
    // The two sessions that carried their 2 streams were closed; the third has room.
    await vi.waitFor(() => expect(h2Limited.open()).toBe(1));
  });

  it('HTTP/2: concurrent requests past the limit all complete, on as many sessions as the limit needs', async () => {
    const before = h2Limited.connections();
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => send(url('/h2-limited'), { fresh: true })),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // The session left open by the previous test takes one more stream.
    expect(h2Limited.connections() - before).toBe(3);
  });

  it('compiles from either field, the HttpProtocolOptions one winning', () => {
    const issues = new Issues();
    const spec = compileCluster(
      'c',
      {
        ...staticCluster('c', [['127.0.0.1', 1]]),
        max_requests_per_connection: { value: 7 },
        ...protocolOptions(
          { http_protocol_options: {} },
          { max_requests_per_connection: { value: 3 } },
        ),
      },
      issues,
    );
    expect(issues.lines).toEqual([]);
    expect(spec.maxRequestsPerConnection).toBe(3);
    expect(
      compileCluster('d', staticCluster('d', [['127.0.0.1', 1]]), new Issues())
        .maxRequestsPerConnection,
    ).toBe(0);
  });
});
