// A listener that cannot bind NACKs its LDS version, as Envoy's "cannot bind" does:
// the real data path behind the real xDS client, a scripted ADS server, and a port
// held by another socket. The other listeners of that update serve; a later update
// without the conflict is ACKed and binds.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';
import { staticCluster } from './support/fixtures.ts';
import { CDS, LDS, startHarness, type Harness } from './support/harness.ts';
import { tcpListener } from '../proxy/support/envoy.ts';

let h: Harness | undefined;
let dp: ProxyDataPlane | undefined;
let blocker: net.Server | undefined;
afterEach(async () => {
  await h?.close();
  dp?.close();
  blocker?.close();
  h = dp = blocker = undefined;
});

async function holdPort(): Promise<number> {
  blocker = net.createServer();
  await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
  return (blocker.address() as net.AddressInfo).port;
}

/** Bring the client to LDS: one static cluster, so nothing warms. */
async function upToLds(): Promise<void> {
  dp = new ProxyDataPlane();
  h = await startHarness({ dataPlane: dp });
  await h.server.until((r) => r.typeUrl === CDS);
  const n = h.server.sendSotw(CDS, 'c1', [staticCluster('backend', '127.0.0.1', 9)]);
  expect(await h.server.until((r) => r.typeUrl === CDS)).toMatchObject({ nonce: n });
  await h.server.until((r) => r.typeUrl === LDS);
}

describe('LDS apply with listener bind failures', () => {
  it('NACKs a listener whose port is taken with its name and errno, keeps the others, and ACKs a later good version', async () => {
    const taken = await holdPort();
    await upToLds();
    const nonce = h!.server.sendSotw(LDS, 'l1', [
      tcpListener('busy', { cluster: 'backend' }, taken),
      tcpListener('ok', { cluster: 'backend' }),
    ]);
    const nack = await h!.server.until((r) => r.typeUrl === LDS);
    expect(nack).toMatchObject({ versionInfo: '', nonce });
    expect(nack.errorDetail?.message).toBe(
      `lds busy: address: cannot bind 127.0.0.1:${taken}: EADDRINUSE`,
    );
    // The listener that could bind serves.
    const ok = dp!.listenerAddress('ok')!;
    expect(ok.port).toBeGreaterThan(0);
    const s = net.connect(ok.port, '127.0.0.1');
    await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
    s.destroy();
    expect(dp!.listenerAddress('busy')).toBeUndefined();
    const lds = h!.client.status().types.find((t) => t.short === 'lds')!;
    expect([...lds.resources.keys()]).toEqual(['ok']);
    expect([...lds.lastNack!.failed.keys()]).toEqual(['busy']);

    // The port is free again: the same listener in a new version binds and is ACKed.
    await new Promise((r) => blocker!.close(r));
    const n2 = h!.server.sendSotw(LDS, 'l2', [
      tcpListener('busy', { cluster: 'backend' }, taken),
      tcpListener('ok', { cluster: 'backend' }),
    ]);
    const ack = await h!.server.until((r) => r.typeUrl === LDS);
    expect(ack).toMatchObject({ versionInfo: 'l2', nonce: n2, errorDetail: undefined });
    expect(dp!.listenerAddress('busy')?.port).toBe(taken);
    expect(dp!.listenerAddress('ok')).toEqual(ok);
  });

  it('answers responses that arrive while sockets bind in order, after the LDS verdict', async () => {
    const taken = await holdPort();
    await upToLds();
    const n1 = h!.server.sendSotw(LDS, 'l1', [tcpListener('busy', { cluster: 'backend' }, taken)]);
    const n2 = h!.server.sendSotw(CDS, 'c2', [staticCluster('backend', '127.0.0.1', 10)]);
    const first = await h!.server.next();
    expect(first).toMatchObject({ typeUrl: LDS, nonce: n1 });
    expect(first.errorDetail?.message).toContain('EADDRINUSE');
    expect(await h!.server.until((r) => r.typeUrl === CDS)).toMatchObject({
      versionInfo: 'c2',
      nonce: n2,
    });
  });
});
