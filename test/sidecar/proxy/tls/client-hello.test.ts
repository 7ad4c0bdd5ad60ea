// The ClientHello reader behind tls_inspector: SNI and ALPN from a real node client's
// hello, "need more" while it is incomplete, and "invalid" for what is not TLS.
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseClientHello } from '../../../../sidecar/proxy/tls/client-hello.ts';

/** The first bytes a real TLS client sends. */
async function captureHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) => {
      let acc = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        acc = Buffer.concat([acc, d]);
        if (acc.length >= 5 && acc.length >= 5 + acc.readUInt16BE(3)) {
          resolve(acc);
          s.destroy();
        }
      });
    }),
  );
  const c = tls.connect({ host: '127.0.0.1', port, ...options });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

describe('ClientHello parsing', () => {
  it('reads the server name (lowercased) and the ALPN offer', async () => {
    const hello = await captureHello({
      servername: 'Outbound_.9080_._.Reviews.default.svc.cluster.local',
      ALPNProtocols: ['istio-peer-exchange', 'istio', 'h2'],
    });
    expect(parseClientHello(hello)).toEqual({
      state: 'done',
      serverName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
      alpn: ['istio-peer-exchange', 'istio', 'h2'],
    });
  });

  it('a hello without SNI or ALPN', async () => {
    const hello = await captureHello({});
    expect(parseClientHello(hello)).toEqual({ state: 'done', serverName: undefined, alpn: [] });
  });

  it('asks for more bytes while the record is incomplete, at every cut', async () => {
    const hello = await captureHello({ servername: 'a.example.com' });
    for (const cut of [1, 5, 9, 40, hello.length - 1])
      expect(parseClientHello(hello.subarray(0, cut)).state).toBe('need-more');
  });

  it('says invalid for plaintext and for a handshake that is not a ClientHello', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')).state).toBe('invalid');
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0])).state).toBe('invalid');
  });
});
