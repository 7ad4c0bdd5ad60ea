// The SotW ADS client against a scripted server: Envoy's subscription and warming
// order, ACK/NACK with the right version and nonce, last good config kept.
import { afterEach, describe, expect, it } from 'vitest';
import { buildNodeIdentity } from '../../../sidecar/agent/node-identity.ts';
import { XdsClient } from '../../../sidecar/agent/xds-client.ts';
import { RecordingDataPlane } from './support/recording-data-plane.ts';
import {
  assignment,
  edsCluster,
  httpListener,
  outbound,
  routeConfig,
  secret,
  staticCluster,
} from './support/fixtures.ts';
import {
  bringUpSotw,
  CDS,
  EDS,
  LDS,
  RATINGS,
  RDS,
  REVIEWS,
  SDS,
  startHarness,
  type Harness,
} from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

describe('XdsClient (state of the world)', () => {
  it('subscribes CDS first with the Istio node, EDS by cluster, LDS only after the clusters are warm, then RDS by listener', async () => {
    h = await startHarness();
    const first = await h.server.next();
    expect(first).toMatchObject({ typeUrl: CDS, resourceNames: [], versionInfo: '', nonce: '' });
    expect(first.node?.id).toBe(
      'sidecar~10.1.0.5~productpage-v1-123.default~default.svc.cluster.local',
    );
    const eds = outbound(9080, 'reviews.default.svc.cluster.local', 'v1');
    const nonce = h.server.sendSotw(CDS, 'c1', [
      edsCluster(REVIEWS),
      edsCluster('cluster-b', { serviceName: eds }),
      staticCluster('inbound|9080||', '127.0.0.1', 9080),
    ]);
    const ack = await h.server.next();
    expect(ack).toMatchObject({ typeUrl: CDS, versionInfo: 'c1', nonce });
    expect(ack.errorDetail).toBeUndefined();
    expect(ack.node).toBeUndefined(); // the node goes on the first request only
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      resourceNames: [eds, REVIEWS].sort(),
      versionInfo: '',
    });
    // Clusters wait for their endpoints: no LDS request yet.
    expect(await h.server.quietFor(150)).toEqual([]);
    expect(h.client.phase()).toBe('PRE_INITIALIZING');

    h.server.sendSotw(EDS, 'e1', [
      assignment(REVIEWS, ['10.0.0.1'], 9080),
      assignment(eds, ['10.0.0.2'], 9080),
    ]);
    expect(await h.server.next()).toMatchObject({ typeUrl: EDS, versionInfo: 'e1' });
    expect(await h.server.next()).toMatchObject({ typeUrl: LDS, resourceNames: [] });
    expect(h.client.phase()).toBe('INITIALIZING');

    h.server.sendSotw(LDS, 'l1', [httpListener(9080, '9080'), httpListener(8080, 'http.8080')]);
    expect(await h.server.next()).toMatchObject({ typeUrl: LDS, versionInfo: 'l1' });
    expect(await h.server.next()).toMatchObject({
      typeUrl: RDS,
      resourceNames: ['9080', 'http.8080'],
    });
    expect(h.client.initialized()).toBe(false);

    h.server.sendSotw(RDS, 'r1', [routeConfig('9080', REVIEWS), routeConfig('http.8080', REVIEWS)]);
    expect(await h.server.next()).toMatchObject({ typeUrl: RDS, versionInfo: 'r1' });
    await h.client.whenInitialized();
    expect(h.client.phase()).toBe('LIVE');
    expect(h.dataPlane.calls.map((c) => c.typeUrl)).toEqual([CDS, EDS, LDS, RDS]);
    expect(h.dataPlane.names(CDS)).toEqual(['cluster-b', 'inbound|9080||', REVIEWS].sort());
  });

  it('NACKs a cluster with a negative connect_timeout with the last good version, naming resource and field, and keeps serving the old set', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    const before = h.dataPlane.calls.length;
    const bad = { ...edsCluster(REVIEWS), connect_timeout: '-1s' };
    const nonce = h.server.sendSotw(CDS, 'c2', [bad, edsCluster(RATINGS)]);
    const nack = await h.server.next();
    expect(nack).toMatchObject({ typeUrl: CDS, versionInfo: 'c1', nonce });
    expect(nack.errorDetail?.code).toBe(3);
    expect(nack.errorDetail?.message).toContain(`cds resource "${REVIEWS}"`);
    expect(nack.errorDetail?.message).toContain('connect_timeout');
    expect(h.dataPlane.calls.length).toBe(before); // the data plane never saw it
    const cds = h.client.status().types.find((t) => t.short === 'cds')!;
    expect(cds.ackedVersion).toBe('c1');
    expect(cds.lastNack).toMatchObject({ nonce, version: 'c2' });
    expect([...cds.lastNack!.failed.keys()]).toEqual([REVIEWS]);
    expect(cds.resources.get(REVIEWS)?.resource.connect_timeout).toBe('10s');

    // A later good version is accepted and clears the NACK.
    const n3 = h.server.sendSotw(CDS, 'c3', [edsCluster(REVIEWS), edsCluster(RATINGS)]);
    expect(await h.server.next()).toMatchObject({
      typeUrl: CDS,
      versionInfo: 'c3',
      nonce: n3,
      errorDetail: undefined,
    });
    expect(h.client.status().types.find((t) => t.short === 'cds')!.lastNack).toBeUndefined();
  });

  it('NACKs a typed_config of a type Envoy does not know, naming the field', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    const odd = {
      ...edsCluster(RATINGS),
      transport_socket: {
        name: 'x',
        typed_config: { '@type': 'type.googleapis.com/example.Unknown', '@value': '' },
      },
    };
    h.server.sendSotw(CDS, 'c2', [edsCluster(REVIEWS), odd]);
    const nack = await h.server.next();
    expect(nack.versionInfo).toBe('c1');
    expect(nack.errorDetail?.message).toMatch(
      /cds resource ".*ratings.*".*transport_socket\.typed_config.*unknown type/,
    );
  });

  it('NACKs what the data plane refuses with its error lines', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    h.dataPlane.refuse = (typeUrl) =>
      typeUrl === LDS ? ['0.0.0.0_9090: address: port 9090 is in use'] : [];
    const nonce = h.server.sendSotw(LDS, 'l2', [
      httpListener(9080, '9080'),
      httpListener(9090, '9090'),
    ]);
    const nack = await h.server.next();
    expect(nack).toMatchObject({ typeUrl: LDS, versionInfo: 'l1', nonce });
    expect(nack.errorDetail?.message).toBe('lds 0.0.0.0_9090: address: port 9090 is in use');
    expect(h.dataPlane.names(LDS)).toEqual(['0.0.0.0_9080']);
    expect(await h.server.quietFor(100)).toEqual([]); // no RDS subscription for the refused listener
  });

  it('holds a listener update until the endpoints of new clusters arrive, then applies it', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    const DETAILS = outbound(9080, 'details.default.svc.cluster.local');
    h.server.sendSotw(CDS, 'c2', [edsCluster(REVIEWS), edsCluster(RATINGS), edsCluster(DETAILS)]);
    expect(await h.server.next()).toMatchObject({ typeUrl: CDS, versionInfo: 'c2' });
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      resourceNames: [DETAILS, RATINGS, REVIEWS].sort(),
      versionInfo: 'e1',
    });
    const ldsNonce = h.server.sendSotw(LDS, 'l2', [
      httpListener(9080, '9080'),
      httpListener(9081, '9081'),
    ]);
    expect(await h.server.quietFor(150)).toEqual([]); // not ACKed while the cluster warms
    expect(h.dataPlane.names(LDS)).toEqual(['0.0.0.0_9080']);
    // SotW EDS may carry only the changed assignment; the others are kept.
    h.server.sendSotw(EDS, 'e2', [assignment(DETAILS, ['10.0.2.1'], 9080)]);
    expect(await h.server.next()).toMatchObject({ typeUrl: EDS, versionInfo: 'e2' });
    expect(await h.server.next()).toMatchObject({
      typeUrl: LDS,
      versionInfo: 'l2',
      nonce: ldsNonce,
    });
    expect(await h.server.next()).toMatchObject({ typeUrl: RDS, resourceNames: ['9080', '9081'] });
    expect(h.dataPlane.names(EDS)).toEqual([DETAILS, RATINGS, REVIEWS].sort());
    const order = h.dataPlane.calls.slice(-3).map((c) => c.typeUrl);
    expect(order).toEqual([CDS, EDS, LDS]);
  });

  it('stops waiting for endpoints after the config source initial_fetch_timeout and goes on to LDS', async () => {
    h = await startHarness();
    await h.server.next();
    h.server.sendSotw(CDS, 'c1', [edsCluster(REVIEWS, { initialFetchTimeout: '0.2s' })]);
    await h.server.until((r) => r.typeUrl === EDS);
    expect(await h.server.until((r) => r.typeUrl === LDS)).toMatchObject({ resourceNames: [] });
    expect(h.logs.some((l) => l.includes(`gave up waiting for EDS ${REVIEWS}`))).toBe(true);
  });

  it('drops the endpoints of a removed cluster and narrows the EDS subscription', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    h.server.sendSotw(CDS, 'c2', [edsCluster(REVIEWS)]);
    expect(await h.server.next()).toMatchObject({ typeUrl: CDS, versionInfo: 'c2' });
    expect(await h.server.next()).toMatchObject({
      typeUrl: EDS,
      resourceNames: [REVIEWS],
      versionInfo: 'e1',
    });
    expect(h.dataPlane.names(CDS)).toEqual([REVIEWS]);
    expect(h.dataPlane.names(EDS)).toEqual([REVIEWS]);
  });

  it('subscribes to the secrets TLS contexts request over ADS', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    h.server.sendSotw(CDS, 'c2', [
      edsCluster(REVIEWS, { sdsSecret: 'default' }),
      edsCluster(RATINGS),
    ]);
    await h.server.until((r) => r.typeUrl === CDS);
    expect(await h.server.until((r) => r.typeUrl === SDS)).toMatchObject({
      resourceNames: ['default'],
    });
    const nonce = h.server.sendSotw(SDS, 's1', [secret('default')]);
    expect(await h.server.next()).toMatchObject({ typeUrl: SDS, versionInfo: 's1', nonce });
    expect(h.dataPlane.names(SDS)).toEqual(['default']);
  });

  it('ignores resources of a named type that were not requested', async () => {
    h = await startHarness();
    await bringUpSotw(h);
    h.server.sendSotw(RDS, 'r2', [routeConfig('9080', RATINGS), routeConfig('other', RATINGS)]);
    expect(await h.server.next()).toMatchObject({ typeUrl: RDS, versionInfo: 'r2' });
    expect(h.dataPlane.names(RDS)).toEqual(['9080']);
  });

  it('accepts resources wrapped in discovery.v3.Resource, as SotW servers may send them', async () => {
    h = await startHarness();
    await h.server.next();
    const wrapped = {
      '@type': 'type.googleapis.com/envoy.service.discovery.v3.Resource',
      name: 'inbound|9080||',
      version: 'w1',
      resource: staticCluster('inbound|9080||', '127.0.0.1', 9080),
    };
    h.server.sendSotw(CDS, 'c1', [wrapped]);
    expect(await h.server.next()).toMatchObject({
      typeUrl: CDS,
      versionInfo: 'c1',
      errorDetail: undefined,
    });
    expect(h.dataPlane.names(CDS)).toEqual(['inbound|9080||']);
  });

  it('NACKs a response whose resources are of another type or named twice', async () => {
    h = await startHarness();
    await h.server.next();
    h.server.sendSotw(CDS, 'c1', [
      staticCluster('a', '127.0.0.1', 1),
      staticCluster('a', '127.0.0.1', 2),
    ]);
    expect((await h.server.next()).errorDetail?.message).toBe(
      'cds resource "a": appears twice in the response',
    );
    h.server.sendSotw(CDS, 'c2', [routeConfig('9080', 'a')]);
    expect((await h.server.next()).errorDetail?.message).toMatch(
      /^cds resource \[0\]: has type .*RouteConfiguration/,
    );
    expect(h.client.phase()).toBe('PRE_INITIALIZING');
  });

  it('refuses an xDS address that is not host:port with one line', () => {
    expect(
      () =>
        new XdsClient({
          address: 'istiod',
          node: buildNodeIdentity({ env: {} }),
          dataPlane: new RecordingDataPlane(),
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'PETREL_AGENT_OPTION',
        message: 'xDS address "istiod": want host:port',
      }),
    );
    expect(
      () =>
        new XdsClient({
          address: '[::1]:15010',
          node: buildNodeIdentity({ env: {} }),
          dataPlane: new RecordingDataPlane(),
        }),
    ).not.toThrow();
  });
});
