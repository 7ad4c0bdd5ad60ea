// A Sidecar ingress with `defaultEndpoint: unix:///path` makes pilot emit an
// inbound cluster whose endpoint is a pipe address; the proxy must reach the app
// over that unix socket with HTTP/1.1, HTTP/2 and plain TCP alike.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { send } from '../support/backends.ts';
import {
  apply,
  HTTP2_OPTIONS,
  httpListener,
  routeConfig,
  tcpListener,
  toCluster,
  TypeUrl,
  vhost,
} from '../support/envoy.ts';

const pipeCluster = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
  '@type': TypeUrl.Cluster,
  name,
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: {
    cluster_name: name,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path } } } }] }],
  },
  ...extra,
});

describe('pipe (unix socket) endpoints', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const socketPath = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-pipe-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'app.sock');
  };
  const listen = async (server: net.Server, path: string): Promise<void> => {
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  };
  const plane = (): ProxyDataPlane => {
    const dp = new ProxyDataPlane();
    cleanup.push(() => dp.close());
    return dp;
  };

  it('proxies HTTP/1.1 and HTTP/2 requests to an app listening on a unix socket', async () => {
    const h1Path = socketPath();
    const h2Path = socketPath();
    const h1 = http.createServer((req, res) => res.end(`h1 ${req.headers.host} ${req.url}`));
    h1.keepAliveTimeout = 100;
    await listen(h1, h1Path);
    const h2 = http2.createServer((req, res) => res.end(`h2 ${req.httpVersion} ${req.url}`));
    await listen(h2, h2Path);
    const dp = plane();
    expect(
      await apply(dp, TypeUrl.Cluster, [
        pipeCluster('app-h1', h1Path),
        pipeCluster('app-h2', h2Path, HTTP2_OPTIONS),
      ]),
    ).toEqual([]);
    expect(
      await apply(dp, TypeUrl.RouteConfiguration, [
        routeConfig('r', [vhost('v', ['*'], [toCluster('app-h2', '/two'), toCluster('app-h1')])]),
      ]),
    ).toEqual([]);
    expect(
      await apply(dp, TypeUrl.Listener, [
        httpListener('l', { rds: { route_config_name: 'r', config_source: { ads: {} } } }),
      ]),
    ).toEqual([]);
    const port = dp.listenerAddress('l')!.port;
    const one = await send(`http://127.0.0.1:${port}/one`, { headers: { host: 'app.local' } });
    expect(one.status).toBe(200);
    expect(one.body).toBe('h1 app.local /one');
    const two = await send(`http://127.0.0.1:${port}/two`);
    expect(two.status).toBe(200);
    expect(two.body).toBe('h2 2.0 /two');
  });

  it('joins a TCP connection to the unix socket', async () => {
    const path = socketPath();
    const echo = net.createServer((s) => s.pipe(s));
    await listen(echo, path);
    const dp = plane();
    expect(await apply(dp, TypeUrl.Cluster, [pipeCluster('app', path)])).toEqual([]);
    expect(await apply(dp, TypeUrl.Listener, [tcpListener('t', { cluster: 'app' })])).toEqual([]);
    const client = net.connect(dp.listenerAddress('t')!.port, '127.0.0.1');
    cleanup.push(() => client.destroy());
    client.end('ping over a pipe');
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('ping over a pipe');
  });

  it('rejects a pipe path that is neither absolute nor abstract, naming the field', async () => {
    const dp = plane();
    const errors = await apply(dp, TypeUrl.Cluster, [pipeCluster('bad', 'relative.sock')]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/pipe\.path: pipe\.path must be an absolute path or @abstract name/);
  });
});
