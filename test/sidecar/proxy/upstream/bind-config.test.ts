// upstream_bind_config: connections to a cluster's hosts leave from its source
// address (Istio's inbound clusters use 127.0.0.6, so capture does not send the
// proxy's forwarded traffic back to 15006), over HTTP/1.1, HTTP/2 and TCP; and
// /clusters counts requests and connections per host.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import { compileCluster } from '../../../../sidecar/proxy/upstream/cluster-spec.ts';
import {
  HTTP2_OPTIONS,
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  tcpListener,
  toCluster,
  vhost,
} from '../support/envoy.ts';

const BIND = { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } };

/** Servers answering with the peer address they saw. */
async function peerServers(): Promise<{ h1: number; h2: number; tcp: number; close(): void }> {
  const h1 = http.createServer((req, res) => res.end(String(req.socket.remoteAddress)));
  const h2 = http2.createServer((req, res) => res.end(String(req.socket.remoteAddress)));
  const tcp = net.createServer((s) => s.end(String(s.remoteAddress)));
  const servers = [h1, h2, tcp];
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
  return {
    h1: port(h1),
    h2: port(h2),
    tcp: port(tcp),
    close: () => {
      h1.closeAllConnections();
      h2.close();
      tcp.close();
      for (const s of servers) s.close();
    },
  };
}

function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

describe('upstream_bind_config', () => {
  let servers: Awaited<ReturnType<typeof peerServers>>;
  let dp: ProxyDataPlane;
  let url: (path?: string, listener?: string) => string;
  let port: (listener?: string) => number;

  beforeAll(async () => {
    servers = await peerServers();
    const p = await startProxy({
      clusters: [
        staticCluster('h1-bound', [['127.0.0.1', servers.h1]], BIND),
        staticCluster('h1-plain', [['127.0.0.1', servers.h1]]),
        staticCluster('h2-bound', [['127.0.0.1', servers.h2]], { ...BIND, ...HTTP2_OPTIONS }),
        staticCluster('tcp-bound', [['127.0.0.1', servers.tcp]], BIND),
      ],
      routes: [
        routeConfig('r', [
          vhost(
            'all',
            ['*'],
            [
              toCluster('h1-plain', '/plain'),
              toCluster('h2-bound', '/h2'),
              toCluster('h1-bound', '/'),
            ],
          ),
        ]),
      ],
      listeners: [
        httpListener('http', { rds: { route_config_name: 'r', config_source: { ads: {} } } }),
        tcpListener('tcp', { cluster: 'tcp-bound' }),
      ],
    });
    dp = p.dp;
    url = p.url;
    port = p.port;
  });

  afterAll(() => {
    dp?.close();
    servers?.close();
  });

  it('sends HTTP/1.1 requests from the source address', async () => {
    expect(await (await fetch(url('/'))).text()).toBe('127.0.0.6');
  });

  it('sends HTTP/2 requests from the source address', async () => {
    expect(await (await fetch(url('/h2'))).text()).toBe('127.0.0.6');
  });

  it('connects TCP proxy upstreams from the source address', async () => {
    expect(await tcpRead(port('tcp'))).toBe('127.0.0.6');
  });

  it('leaves the source to the kernel without a bind config', async () => {
    expect(await (await fetch(url('/plain'))).text()).toBe('127.0.0.1');
  });

  it('counts requests and TCP connections per host for /clusters', async () => {
    const h1 = `127.0.0.1:${servers.h1}`;
    const before = dp.hostRuntime('h1-bound', h1)!.stats.rq_total!;
    await (await fetch(url('/twice'))).text();
    await (await fetch(url('/twice'))).text();
    expect(dp.hostRuntime('h1-bound', h1)!.stats.rq_total).toBe(before + 2);
    const tcp = `127.0.0.1:${servers.tcp}`;
    const cx = dp.hostRuntime('tcp-bound', tcp)!.stats.cx_total!;
    await tcpRead(port('tcp'));
    expect(dp.hostRuntime('tcp-bound', tcp)!.stats.cx_total).toBe(cx + 1);
  });

  it('reports what it cannot honour with the field path', () => {
    const issues = new Issues();
    compileCluster(
      'c',
      {
        type: 'STATIC',
        upstream_bind_config: {
          source_address: { address: '127.0.0.6', port_value: 40000 },
          freebind: { value: true },
        },
      },
      issues,
    );
    expect(issues.lines).toEqual([
      'upstream_bind_config.source_address.port_value: a fixed source port is not supported (use 0)',
      'upstream_bind_config.freebind: freebind is not supported',
    ]);
  });
});
