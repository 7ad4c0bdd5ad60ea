import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { startProxy, staticCluster, tcpListener } from '../support/envoy.ts';

async function tcpEcho(name: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => s.write(`${name}:${d.toString()}`));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

function exchange(port: number, msg: string): Promise<string> {
  return new Promise((res, rej) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(msg));
    s.once('data', (d: Buffer) => {
      res(d.toString());
      s.destroy();
    });
    s.on('error', rej);
  });
}

describe('TCP proxy', () => {
  let one: { server: net.Server; port: number };
  let two: { server: net.Server; port: number };
  let dp: ProxyDataPlane;
  let port: (l?: string) => number;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    one = await tcpEcho('one');
    two = await tcpEcho('two');
    const p = await startProxy(
      {
        clusters: [
          staticCluster('one', [['127.0.0.1', one.port]]),
          staticCluster('two', [['127.0.0.1', two.port]]),
          staticCluster('dead', [['127.0.0.1', 1]]),
        ],
        listeners: [
          tcpListener('single', { cluster: 'one' }),
          tcpListener('split', {
            weighted_clusters: {
              clusters: [
                { name: 'one', weight: 1 },
                { name: 'two', weight: 3 },
              ],
            },
          }),
          tcpListener('idle', { cluster: 'one', idle_timeout: '0.2s' }),
          tcpListener('dead', { cluster: 'dead' }),
        ],
      },
      { onRequestComplete: (r) => records.push(r) },
    );
    dp = p.dp;
    port = p.port;
  });
  afterAll(async () => {
    dp?.close();
    one.server.close();
    two.server.close();
  });

  it('joins the downstream to the cluster', async () => {
    expect(await exchange(port('single'), 'hello')).toBe('one:hello');
  });

  it('splits connections across weighted clusters', async () => {
    const counts = { one: 0, two: 0 };
    for (let i = 0; i < 200; i += 20) {
      const rs = await Promise.all(Array.from({ length: 20 }, () => exchange(port('split'), 'x')));
      for (const r of rs) counts[r.startsWith('one') ? 'one' : 'two']++;
    }
    expect(counts.two / 200).toBeGreaterThan(0.62);
    expect(counts.two / 200).toBeLessThan(0.88);
  });

  it('closes an idle connection after idle_timeout', async () => {
    const s = net.connect(port('idle'), '127.0.0.1');
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => {});
    await closed;
    for (let i = 0; i < 50 && !records.some((r) => r.listenerName === 'idle'); i++)
      await new Promise((r) => setTimeout(r, 10));
    const rec = records.findLast((r) => r.listenerName === 'idle');
    expect(rec?.protocol).toBe('TCP');
    expect(rec?.upstreamCluster).toBe('one');
  });

  it('closes the downstream and records UF when the upstream refuses', async () => {
    const s = net.connect(port('dead'), '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('close', () => r()));
    for (let i = 0; i < 50 && !records.some((r) => r.listenerName === 'dead'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(records.find((r) => r.listenerName === 'dead')?.flags).toBe('UF');
  });

  it('records bytes both ways', async () => {
    await exchange(port('single'), 'count-me');
    for (
      let i = 0;
      i < 50 && !records.some((r) => r.listenerName === 'single' && r.bytesReceived === 8);
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const rec = records.find((r) => r.listenerName === 'single' && r.bytesReceived === 8);
    expect(rec?.bytesSent).toBe('one:count-me'.length);
    expect(rec?.upstreamHost).toBe(`127.0.0.1:${one.port}`);
  });
});
