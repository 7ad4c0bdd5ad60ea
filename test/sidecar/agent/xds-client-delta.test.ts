// The incremental (delta) ADS client: subscribe/unsubscribe by name, removals,
// NACKs, and resuming a new stream with initial_resource_versions.
import { afterEach, describe, expect, it } from 'vitest';
import { assignment, edsCluster, httpListener, routeConfig } from './support/fixtures.ts';
import {
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
afterEach(async () => h?.close());

async function bringUpDelta(h: Harness): Promise<void> {
  const { server } = h;
  const first = await server.next();
  expect(first).toMatchObject({ kind: 'delta', typeUrl: CDS, subscribe: [], initialVersions: {} });
  expect(first.node?.id).toContain('productpage-v1-123.default');
  const n1 = server.sendDelta(CDS, {
    systemVersion: 's1',
    resources: [
      { name: REVIEWS, version: 'rv1', resource: edsCluster(REVIEWS) },
      { name: RATINGS, version: 'ra1', resource: edsCluster(RATINGS) },
    ],
  });
  const ack = await server.next();
  expect(ack).toMatchObject({ typeUrl: CDS, nonce: n1, subscribe: [], unsubscribe: [] });
  expect(ack.errorDetail).toBeUndefined();
  expect(await server.next()).toMatchObject({ typeUrl: EDS, subscribe: [RATINGS, REVIEWS].sort() });
  server.sendDelta(EDS, {
    resources: [
      { name: REVIEWS, version: 'e1', resource: assignment(REVIEWS, ['10.0.0.1'], 9080) },
      { name: RATINGS, version: 'e1', resource: assignment(RATINGS, ['10.0.1.1'], 9080) },
    ],
  });
  expect(await server.next()).toMatchObject({ typeUrl: EDS });
  expect(await server.next()).toMatchObject({ typeUrl: LDS, subscribe: [] });
  server.sendDelta(LDS, {
    resources: [{ name: '0.0.0.0_9080', version: 'l1', resource: httpListener(9080, '9080') }],
  });
  expect(await server.next()).toMatchObject({ typeUrl: LDS });
  expect(await server.next()).toMatchObject({ typeUrl: RDS, subscribe: ['9080'] });
  server.sendDelta(RDS, {
    resources: [{ name: '9080', version: 'r1', resource: routeConfig('9080', REVIEWS) }],
  });
  expect(await server.next()).toMatchObject({ typeUrl: RDS });
  await h.client.whenInitialized();
}

describe('XdsClient (delta)', () => {
  it('subscribes by name and applies removals, unsubscribing the endpoints of a removed cluster', async () => {
    h = await startHarness({ delta: true });
    await bringUpDelta(h);
    expect(h.dataPlane.names(CDS)).toEqual([RATINGS, REVIEWS].sort());
    const nonce = h.server.sendDelta(CDS, { systemVersion: 's2', removed: [RATINGS] });
    expect(await h.server.next()).toMatchObject({ typeUrl: CDS, nonce });
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      subscribe: [],
      unsubscribe: [RATINGS],
    });
    expect(h.dataPlane.names(CDS)).toEqual([REVIEWS]);
    expect(h.dataPlane.names(EDS)).toEqual([REVIEWS]);
    const cds = h.client.status().types.find((t) => t.short === 'cds')!;
    expect(cds.ackedVersion).toBe('s2');
    expect(cds.resources.get(REVIEWS)?.version).toBe('rv1');
  });

  it('changes one resource without resending the others', async () => {
    h = await startHarness({ delta: true });
    await bringUpDelta(h);
    h.server.sendDelta(EDS, {
      resources: [
        { name: RATINGS, version: 'e2', resource: assignment(RATINGS, ['10.0.1.9'], 9080) },
      ],
    });
    await h.server.next();
    const eds = h.dataPlane.current.get(EDS)!;
    expect([...eds.keys()].sort()).toEqual([RATINGS, REVIEWS].sort());
    expect(JSON.stringify(eds.get(RATINGS))).toContain('10.0.1.9');
    expect(JSON.stringify(eds.get(REVIEWS))).toContain('10.0.0.1');
  });

  it('NACKs a bad resource with the response nonce and error_detail, keeping the last good set', async () => {
    h = await startHarness({ delta: true });
    await bringUpDelta(h);
    const nonce = h.server.sendDelta(CDS, {
      resources: [
        {
          name: REVIEWS,
          version: 'rv2',
          resource: { ...edsCluster(REVIEWS), connect_timeout: '-1s' },
        },
      ],
    });
    const nack = await h.server.next();
    expect(nack).toMatchObject({ typeUrl: CDS, nonce, errorDetail: { code: 3 } });
    expect(nack.errorDetail?.message).toContain(
      `cds resource "${REVIEWS}": Cluster.connect_timeout`,
    );
    expect(h.dataPlane.names(CDS)).toEqual([RATINGS, REVIEWS].sort());
    expect(
      h.client
        .status()
        .types.find((t) => t.short === 'cds')!
        .resources.get(REVIEWS)?.version,
    ).toBe('rv1');
  });

  it('resumes on a new stream with initial_resource_versions of everything it holds', async () => {
    h = await startHarness({ delta: true });
    await bringUpDelta(h);
    h.server.dropStreams();
    const cds = await h.server.until((r) => r.stream === 2);
    expect(cds).toMatchObject({
      typeUrl: CDS,
      subscribe: [],
      initialVersions: { [REVIEWS]: 'rv1', [RATINGS]: 'ra1' },
    });
    expect(cds.node?.id).toContain('productpage-v1-123');
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      subscribe: [RATINGS, REVIEWS].sort(),
      initialVersions: { [REVIEWS]: 'e1', [RATINGS]: 'e1' },
    });
    expect(await h.server.next()).toMatchObject({
      typeUrl: LDS,
      subscribe: [],
      initialVersions: { '0.0.0.0_9080': 'l1' },
    });
    expect(await h.server.next()).toMatchObject({
      typeUrl: RDS,
      subscribe: ['9080'],
      initialVersions: { '9080': 'r1' },
    });
    // The config kept serving across the reconnect.
    expect(h.dataPlane.names(LDS)).toEqual(['0.0.0.0_9080']);
  });
});
