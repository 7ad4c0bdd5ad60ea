// Sockets that were not redirected. Redirected sockets are covered for real,
// through iptables in a network namespace, by netns-capture.test.ts.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { originalDestination } from '../../../sidecar/capture/original-dst.ts';

describe('originalDestination', () => {
  const servers: net.Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function acceptOne(host: string): Promise<{ accepted: net.Socket; client: net.Socket }> {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(
      (server.address() as net.AddressInfo).port,
      host === '::' ? '127.0.0.1' : host,
    );
    return { accepted: await accepted, client };
  }

  it('is undefined for a direct IPv4 connection, without throwing', async () => {
    const { accepted, client } = await acceptOne('127.0.0.1');
    expect(originalDestination(accepted)).toBeUndefined();
    client.destroy();
    accepted.destroy();
  });

  it('is undefined for an IPv4 client on a dual-stack listener (IPv6 query, then IPv4 fallback)', async () => {
    const { accepted, client } = await acceptOne('::');
    expect(accepted.localAddress).toBe('::ffff:127.0.0.1');
    expect(originalDestination(accepted)).toBeUndefined();
    client.destroy();
    accepted.destroy();
  });

  it('is undefined for a socket that is already closed', async () => {
    const { accepted, client } = await acceptOne('127.0.0.1');
    accepted.destroy();
    client.destroy();
    expect(originalDestination(accepted)).toBeUndefined();
  });
});
