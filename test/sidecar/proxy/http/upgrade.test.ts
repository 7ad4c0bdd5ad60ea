import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import {
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  toCluster,
  vhost,
} from '../support/envoy.ts';

/** Sends an upgrade request over a raw socket; resolves with the response head and the socket. */
function upgrade(
  port: number,
  path: string,
): Promise<{ head: string; socket: net.Socket; rest: Buffer }> {
  return new Promise((res, rej) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nhost: ws.local\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
    });
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      res({ head: buf.subarray(0, end).toString(), socket, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', rej);
  });
}

describe('HTTP/1.1 upgrade (websocket) through the proxy', () => {
  let backend: http.Server;
  let dp: ProxyDataPlane;
  let proxyPort: (l?: string) => number;
  const seenHeaders: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('plain'));
    backend.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      seenHeaders.push(req.headers);
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
      );
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as net.AddressInfo).port;
    const rds = { route_config_name: '80', config_source: { ads: {} } };
    const p = await startProxy({
      clusters: [staticCluster('ws', [['127.0.0.1', port]])],
      routes: [
        routeConfig('80', [
          vhost(
            'v',
            ['*'],
            [
              {
                match: { prefix: '/route-ws' },
                route: { cluster: 'ws', upgrade_configs: [{ upgrade_type: 'websocket' }] },
              },
              toCluster('ws'),
            ],
          ),
        ]),
      ],
      listeners: [
        httpListener('ws', { rds, upgrade_configs: [{ upgrade_type: 'websocket' }] }),
        httpListener('no-ws', { rds }),
      ],
    });
    dp = p.dp;
    proxyPort = p.port;
  });
  afterAll(async () => {
    dp?.close();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('passes the upgrade and then bytes both ways', async () => {
    const { head, socket } = await upgrade(proxyPort('ws'), '/chat');
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(seenHeaders.at(-1)?.upgrade).toBe('websocket');
    expect(seenHeaders.at(-1)?.['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    expect(seenHeaders.at(-1)?.['x-request-id']).toBeDefined();
    const echoed = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    socket.write('ping');
    expect(await echoed).toBe('echo:ping');
    socket.destroy();
  });

  it('refuses an upgrade the connection manager does not allow with 403', async () => {
    const { head, socket } = await upgrade(proxyPort('no-ws'), '/chat');
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    socket.destroy();
  });

  it('lets a route enable an upgrade the connection manager does not', async () => {
    const { head, socket } = await upgrade(proxyPort('no-ws'), '/route-ws');
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    socket.destroy();
  });
});
