import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FULL,
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
const C = 'outbound|80||c.default.svc.cluster.local';

let server: XdsServer<TestPush>;
let port: number;
const streams: AdsStream[] = [];
let log: ReturnType<typeof memoryLogger>;

async function pushNow(push: TestPush): Promise<void> {
  server.push(push, FULL);
  await server.flush();
}

function open(): AdsStream {
  const s = AdsStream.delta(port);
  streams.push(s);
  return s;
}

function names(res: Record<string, any>): string[] {
  return (res.resources ?? []).map((r: { name: string }) => r.name).sort();
}

beforeEach(async () => {
  log = memoryLogger();
  server = new XdsServer<TestPush>({ generators: testGenerators().generators, log });
  port = await server.listen();
  await pushNow(testPush('v1', { clusters: { [A]: ['10.0.0.1'], [B]: ['10.0.0.2'] } }));
});

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await server.stop();
});

describe('delta ADS', () => {
  test('a first wildcard request gets every resource, each with a content version', async () => {
    const s = open();
    s.send({ node: node(), type_url: CLUSTER_TYPE });
    const res = await s.next();
    expect(res.type_url).toBe(CLUSTER_TYPE);
    expect(res.system_version_info).toBe('v1');
    expect(names(res)).toEqual([A, B]);
    for (const r of res.resources) expect(r.version).toMatch(/^[\w-]{22}$/);
    expect(Object.keys(decodeResources(res.resources)).sort()).toEqual([A, B]);
    expect(res.removed_resources ?? []).toEqual([]);
  });

  test('a change sends only the changed resource, and a removal only its name', async () => {
    const s = open();
    s.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names_subscribe: [A, B] });
    const first = await s.next();
    expect(names(first)).toEqual([A, B]);
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: first.nonce });

    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.1'], [B]: ['10.0.0.22'] } }));
    const changed = await s.next();
    expect(changed.system_version_info).toBe('v2');
    expect(names(changed)).toEqual([B]);
    expect(JSON.stringify(decodeResources(changed.resources))).toContain('10.0.0.22');
    expect(changed.removed_resources ?? []).toEqual([]);
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: changed.nonce });

    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.1'] } }));
    const removed = await s.next();
    expect(removed.resources ?? []).toEqual([]);
    expect(removed.removed_resources).toEqual([B]);
  });

  test('subscribing adds only the new names; unsubscribing sends nothing; missing names are reported removed', async () => {
    const s = open();
    s.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names_subscribe: [A] });
    const first = await s.next();
    expect(names(first)).toEqual([A]);
    s.send({
      type_url: ENDPOINT_TYPE,
      response_nonce: first.nonce,
      resource_names_subscribe: [B, C],
    });
    const second = await s.next();
    expect(names(second)).toEqual([B]);
    expect(second.removed_resources).toEqual([C]);
    s.send({
      type_url: ENDPOINT_TYPE,
      response_nonce: second.nonce,
      resource_names_unsubscribe: [A],
    });
    await waitFor(() => server.syncz()[0]?.types[0]?.resources === 1, 'unsubscribe applied');
    // A change to A (no longer subscribed) sends nothing; the next response is B's change.
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'] } }));
    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.9'], [B]: ['10.0.0.8'] } }));
    const third = await s.next();
    expect(third.system_version_info).toBe('v3');
    expect(names(third)).toEqual([B]);
  });

  test('a reconnect with initial_resource_versions gets only what differs', async () => {
    const s1 = open();
    s1.send({ node: node(), type_url: CLUSTER_TYPE });
    const first = await s1.next();
    const versions: Record<string, string> = {};
    for (const r of first.resources) versions[r.name] = r.version;
    s1.close();
    await waitFor(() => server.syncz().length === 0, 'first stream gone');

    // While disconnected: A unchanged, B removed, C added.
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.1'], [C]: ['10.0.0.3'] } }));
    const s2 = open();
    s2.send({ node: node(), type_url: CLUSTER_TYPE, initial_resource_versions: versions });
    const res = await s2.next();
    expect(names(res)).toEqual([C]);
    expect(res.removed_resources).toEqual([B]);
    // config_dump still knows A's content, though it was not resent.
    const dump = server.configDump(node().id as string)!;
    expect(JSON.stringify(dump)).toContain(A);
  });

  test('a NACK is recorded; the rejected version is not resent and later changes are', async () => {
    const s = open();
    s.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names_subscribe: [A, B] });
    const first = await s.next();
    s.send({
      type_url: ENDPOINT_TYPE,
      response_nonce: first.nonce,
      error_detail: { code: 13, message: 'endpoint rejected' },
    });
    await waitFor(() => server.syncz()[0]?.state === 'NACK', 'NACK');
    expect(server.syncz()[0]!.types[0]!.nack).toMatchObject({
      nonce: first.nonce,
      message: 'endpoint rejected',
    });
    // Same content at a new version: nothing to send. Then a real change to A.
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.1'], [B]: ['10.0.0.2'] } }));
    await pushNow(testPush('v3', { clusters: { [A]: ['10.0.0.5'], [B]: ['10.0.0.2'] } }));
    const next = await s.next();
    expect(next.system_version_info).toBe('v3');
    expect(names(next)).toEqual([A]);
    expect(await server.metrics.text()).toMatch(
      /pilot_xds_eds_reject\{node="sidecar~[^"]+",err="13"\} 1/,
    );
  });

  test('a stale nonce does not lose the subscription change it carries', async () => {
    const s = open();
    s.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names_subscribe: [A] });
    const first = await s.next();
    await pushNow(testPush('v2', { clusters: { [A]: ['10.0.0.7'], [B]: ['10.0.0.2'] } }));
    const second = await s.next();
    // Acknowledges the superseded response while subscribing to B.
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: first.nonce, resource_names_subscribe: [B] });
    const third = await s.next();
    expect(names(third)).toEqual([B]);
    const st = await waitFor(() => server.syncz()[0]?.types[0], 'status');
    expect(st.ackedNonce).toBeUndefined();
    expect(st.sentNonce).toBe(third.nonce);
    expect(second.nonce).not.toBe(third.nonce);
  });
});
