// Losing the control plane: the last good config keeps serving, the client redials
// with backoff and resubscribes with its versions, and a restarted pilot is picked up.
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedAdsServer } from './support/ads-server.ts';
import { edsCluster } from './support/fixtures.ts';
import {
  bringUpSotw,
  CDS,
  EDS,
  LDS,
  RATINGS,
  RDS,
  REVIEWS,
  startHarness,
  type Harness,
} from './support/harness.ts';

let h: Harness;
let restarted: ScriptedAdsServer | undefined;
afterEach(async () => {
  await h?.close();
  await restarted?.stop();
  restarted = undefined;
});

describe('XdsClient reconnect', () => {
  it('resubscribes every type on a new stream with the versions it last ACKed', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    h.server.dropStreams();
    const cds = await h.server.until((r) => r.stream === 2);
    expect(cds).toMatchObject({ typeUrl: CDS, versionInfo: 'c1', nonce: '', resourceNames: [] });
    expect(cds.node?.id).toBe(
      'sidecar~10.1.0.5~productpage-v1-123.default~default.svc.cluster.local',
    );
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      versionInfo: 'e1',
      nonce: '',
      resourceNames: [RATINGS, REVIEWS].sort(),
    });
    expect(await h.server.next()).toMatchObject({ typeUrl: LDS, versionInfo: 'l1', nonce: '' });
    expect(await h.server.next()).toMatchObject({
      typeUrl: RDS,
      versionInfo: 'r1',
      resourceNames: ['9080'],
    });
    expect(h.client.initialized()).toBe(true);
    expect(h.dataPlane.names(RDS)).toEqual(['9080']);
  });

  it('keeps redialling while pilot is down and picks up a restarted pilot on the same port', async () => {
    h = await startHarness({ backoff: { initialMs: 20, maxMs: 100 } });
    await bringUpSotw(h);
    const port = h.server.port;
    const disconnected = new Promise((resolve) => h.client.once('disconnected', resolve));
    await h.server.stop();
    await disconnected;
    expect(h.client.status().connected).toBe(false);
    // Several failed attempts happen (logged) before pilot is back.
    await new Promise((r) => setTimeout(r, 300));
    expect(h.logs.filter((l) => l.includes('reconnecting in')).length).toBeGreaterThan(1);
    restarted = await ScriptedAdsServer.start(port);
    const cds = await restarted.until((r) => r.typeUrl === CDS, 10_000);
    expect(cds).toMatchObject({ versionInfo: 'c1', nonce: '' });
    const nonce = restarted.sendSotw(CDS, 'c2', [edsCluster(REVIEWS)]);
    await restarted.until((r) => r.typeUrl === CDS && r.nonce === nonce);
    expect(h.client.status().connected).toBe(true);
    expect(h.dataPlane.names(CDS)).toEqual([REVIEWS]);
  });
});
