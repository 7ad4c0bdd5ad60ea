import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FULL,
  LISTENER_TYPE,
  ROUTE_TYPE,
  decodeResources,
  memoryLogger,
  node,
  testGenerators,
  testPush,
  waitFor,
} from './fixtures.ts';
import type { TestPush } from './fixtures.ts';

const A = 'outbound|80||a.default.svc.cluster.local';
const B = 'outbound|80||b.default.svc.cluster.local';

let server: XdsServer<TestPush>;
let port: number;
let stream: AdsStream;
let log: ReturnType<typeof memoryLogger>;

async function pushNow(push: TestPush): Promise<void> {
  server.push(push, FULL);
  await server.flush();
}

beforeEach(async () => {
  log = memoryLogger();
  server = new XdsServer<TestPush>({ generators: testGenerators().generators, log });
  port = await server.listen();
  await pushNow(testPush('v1', { clusters: { [A]: ['10.0.0.1'], [B]: ['10.0.0.2'] } }));
  stream = AdsStream.sotw(port);
});

afterEach(async () => {
  stream.close();
  await server.stop();
});

function typeState(typeUrl: string) {
  return server.syncz()[0]?.types.find((t) => t.typeUrl === typeUrl);
}

describe('SotW ADS', () => {
  test('first request on a wildcard type gets every resource at the current version', async () => {
    stream.send({ node: node(), type_url: LISTENER_TYPE, resource_names: [] });
    const res = await stream.next();
    expect(res.type_url).toBe(LISTENER_TYPE);
    expect(res.version_info).toBe('v1');
    expect(res.nonce).not.toBe('');
    expect(Object.keys(decodeResources(res.resources))).toEqual(['0.0.0.0_80']);
    expect(res.control_plane.identifier).toBe('petrel');
  });

  test('an ACK is recorded and a later change is pushed with a new version and nonce', async () => {
    stream.send({ node: node(), type_url: CLUSTER_TYPE });
    const first = await stream.next();
    expect(Object.keys(decodeResources(first.resources)).sort()).toEqual([A, B]);
    stream.send({ type_url: CLUSTER_TYPE, version_info: 'v1', response_nonce: first.nonce });
    await waitFor(() => typeState(CLUSTER_TYPE)?.state === 'SYNCED', 'CDS ACK');
    expect(typeState(CLUSTER_TYPE)).toMatchObject({
      ackedVersion: 'v1',
      ackedNonce: first.nonce,
      sentVersion: 'v1',
    });

    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.1'] } }));
    const second = await stream.next();
    expect(second.version_info).toBe('v2');
    expect(second.nonce).not.toBe(first.nonce);
    expect(Object.keys(decodeResources(second.resources))).toEqual([A]);
    expect(typeState(CLUSTER_TYPE)?.state).toBe('STALE');
  });

  test('a NACK is logged, counted and shown in syncz; the next change is still pushed', async () => {
    stream.send({ node: node(), type_url: CLUSTER_TYPE });
    const first = await stream.next();
    stream.send({
      type_url: CLUSTER_TYPE,
      version_info: '',
      response_nonce: first.nonce,
      error_detail: { code: 3, message: 'cluster a: bad connect_timeout' },
    });
    const nacked = await waitFor(
      () => (typeState(CLUSTER_TYPE)?.state === 'NACK' ? typeState(CLUSTER_TYPE) : undefined),
      'NACK',
    );
    expect(nacked.nack).toMatchObject({
      nonce: first.nonce,
      code: 3,
      message: 'cluster a: bad connect_timeout',
    });
    expect(server.syncz()[0]).toMatchObject({ state: 'NACK', nacks: 1 });
    const line = log.lines.find((l) => l.includes('PETREL_XDS_NACK'));
    expect(line).toContain('productpage-v1-abc.default');
    expect(line).toContain(`nonce ${first.nonce}`);
    expect(line).toContain('cluster a: bad connect_timeout');
    expect(await server.metrics.text()).toMatch(/pilot_total_xds_rejects\{type="cds"\} 1/);

    await pushNow(testPush('v2', { clusters: { [B]: ['10.0.0.2'] } }));
    const next = await stream.next();
    expect(next.version_info).toBe('v2');
    expect(Object.keys(decodeResources(next.resources))).toEqual([B]);
    stream.send({ type_url: CLUSTER_TYPE, version_info: 'v2', response_nonce: next.nonce });
    await waitFor(() => typeState(CLUSTER_TYPE)?.state === 'SYNCED', 'ACK after NACK');
  });

  test('a request with a stale nonce is ignored', async () => {
    stream.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names: [A] });
    const first = await stream.next();
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'] } }));
    const second = await stream.next();
    expect(second.version_info).toBe('v2');
    // Answers the superseded response and asks for [B] alone: must be ignored.
    stream.send({
      type_url: ENDPOINT_TYPE,
      version_info: 'v1',
      response_nonce: first.nonce,
      resource_names: [B],
    });
    stream.send({
      type_url: ENDPOINT_TYPE,
      version_info: 'v2',
      response_nonce: second.nonce,
      resource_names: [A, B],
    });
    const third = await stream.next();
    expect(Object.keys(decodeResources(third.resources))).toEqual([B]);
    expect(await server.metrics.text()).toMatch(/pilot_xds_expired_nonce\{type="eds"\} 1/);
    // A is still subscribed (the stale [B] was not applied): its change is pushed.
    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.3'], [B]: ['10.0.0.2'] } }));
    const fourth = await stream.next();
    expect(Object.keys(decodeResources(fourth.resources))).toEqual([A]);
  });

  test('newly requested names are sent; unknown names are omitted; dropped names are no longer pushed', async () => {
    stream.send({
      node: node(),
      type_url: ENDPOINT_TYPE,
      resource_names: [A, 'outbound|80||missing'],
    });
    const first = await stream.next();
    expect(Object.keys(decodeResources(first.resources))).toEqual([A]);
    stream.send({
      type_url: ENDPOINT_TYPE,
      version_info: 'v1',
      response_nonce: first.nonce,
      resource_names: [A, B],
    });
    const second = await stream.next();
    expect(Object.keys(decodeResources(second.resources))).toEqual([B]);
    // Drops A: nothing new is wanted, so nothing is sent.
    stream.send({
      type_url: ENDPOINT_TYPE,
      version_info: 'v1',
      response_nonce: second.nonce,
      resource_names: [B],
    });
    await waitFor(() => typeState(ENDPOINT_TYPE)?.resources === 1, 'A dropped');
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.5'], [B]: ['10.0.0.2'] } }));
    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.5'], [B]: ['10.0.0.6'] } }));
    const third = await stream.next();
    expect(third.version_info).toBe('v3');
    expect(Object.keys(decodeResources(third.resources))).toEqual([B]);
    // Asking for A again resends it even though its content is what was sent before.
    stream.send({
      type_url: ENDPOINT_TYPE,
      version_info: 'v3',
      response_nonce: third.nonce,
      resource_names: [A, B],
    });
    const fourth = await stream.next();
    expect(Object.keys(decodeResources(fourth.resources))).toEqual([A]);
  });

  test('a push sends only the endpoints that changed, but every cluster', async () => {
    stream.send({ node: node(), type_url: CLUSTER_TYPE });
    const cds = await stream.next();
    stream.send({ type_url: CLUSTER_TYPE, version_info: 'v1', response_nonce: cds.nonce });
    stream.send({ type_url: ENDPOINT_TYPE, resource_names: [A, B] });
    const eds = await stream.next();
    expect(Object.keys(decodeResources(eds.resources)).sort()).toEqual([A, B]);
    stream.send({ type_url: ENDPOINT_TYPE, version_info: 'v1', response_nonce: eds.nonce });
    const C = 'outbound|80||c.default.svc.cluster.local';
    await pushNow(
      testPush('v2', { clusters: { [A]: ['10.0.0.1'], [B]: ['10.0.0.22'], [C]: ['10.0.0.3'] } }),
    );
    const cds2 = await stream.next();
    expect(cds2.type_url).toBe(CLUSTER_TYPE);
    expect(Object.keys(decodeResources(cds2.resources)).sort()).toEqual([A, B, C]);
    const eds2 = await stream.next();
    expect(eds2.type_url).toBe(ENDPOINT_TYPE);
    expect(Object.keys(decodeResources(eds2.resources))).toEqual([B]);
  });

  test('an empty first request on a named type (RDS) subscribes to nothing', async () => {
    stream.send({ node: node(), type_url: ROUTE_TYPE, resource_names: [] });
    const res = await stream.next();
    expect(res.resources ?? []).toEqual([]);
    stream.send({
      type_url: ROUTE_TYPE,
      version_info: 'v1',
      response_nonce: res.nonce,
      resource_names: ['80'],
    });
    const named = await stream.next();
    expect(Object.keys(decodeResources(named.resources))).toEqual(['80']);
  });

  test('a push that changes nothing for the proxy sends nothing', async () => {
    stream.send({ node: node(), type_url: CLUSTER_TYPE });
    const first = await stream.next();
    stream.send({ type_url: CLUSTER_TYPE, version_info: 'v1', response_nonce: first.nonce });
    await waitFor(() => typeState(CLUSTER_TYPE)?.state === 'SYNCED', 'ACK');
    // Same clusters (endpoint IPs are EDS, not CDS): CDS content is unchanged.
    await pushNow(testPush('v2', { clusters: { [A]: ['10.9.9.9'], [B]: ['10.0.0.2'] } }));
    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.1'] } }));
    const next = await stream.next();
    expect(next.version_info).toBe('v3');
    expect(typeState(CLUSTER_TYPE)?.sentVersion).toBe('v3');
  });

  test('a request before the first push is answered by the first push', async () => {
    const fresh = new XdsServer<TestPush>({ generators: testGenerators().generators, log });
    const freshPort = await fresh.listen();
    const s = AdsStream.sotw(freshPort);
    try {
      s.send({ node: node(), type_url: LISTENER_TYPE });
      await waitFor(() => fresh.syncz().length === 1, 'connection');
      fresh.push(testPush('first'), FULL);
      await fresh.flush();
      const res = await s.next();
      expect(res.version_info).toBe('first');
    } finally {
      s.close();
      await fresh.stop();
    }
  });

  test('a full=false push regenerates only endpoints', async () => {
    stream.send({ node: node(), type_url: CLUSTER_TYPE });
    const cds = await stream.next();
    stream.send({ type_url: CLUSTER_TYPE, version_info: 'v1', response_nonce: cds.nonce });
    stream.send({ type_url: ENDPOINT_TYPE, resource_names: [A] });
    const eds = await stream.next();
    expect(eds.type_url).toBe(ENDPOINT_TYPE);
    // Clusters changed too, but an endpoint-only push must not look at CDS.
    server.push(testPush('v2', { clusters: { [A]: ['10.0.0.7'] } }), {
      full: false,
      configsUpdated: new Set(),
      reason: ['endpoint'],
    });
    await server.flush();
    const next = await stream.next();
    expect(next.type_url).toBe(ENDPOINT_TYPE);
    expect(JSON.stringify(decodeResources(next.resources))).toContain('10.0.0.7');
    expect(typeState(CLUSTER_TYPE)?.sentVersion).toBe('v1');
  });
});
