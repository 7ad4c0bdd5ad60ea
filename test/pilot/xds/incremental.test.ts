// Incremental (full=false) pushes with a scope: only the named EDS resources are
// regenerated and sent, only to proxies watching them, and nothing goes stale
// when endpoint-only and full pushes are merged or the scope gives up.
import { afterEach, describe, expect, test } from 'vitest';
import type { Proxy } from '../../../pilot/model/proxy.ts';
import { XdsServer } from '../../../pilot/xds/server.ts';
import type { IncrementalScope, PushRequest } from '../../../pilot/xds/types.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FULL,
  SIDECAR_ID,
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
const OTHER_ID = 'sidecar~10.1.0.2~other-v1-abc.default~default.svc.cluster.local';

/** A TestPush whose incremental scope is the cluster names in configsUpdated (or a fixed answer). */
interface ScopedPush extends TestPush {
  incrementalScope(
    previous: ScopedPush | undefined,
    configsUpdated: ReadonlySet<string>,
  ): IncrementalScope | undefined;
}

/** The host of `outbound|port|subset|host`: one function for every push, as a grouping needs. */
const hostKey = (name: string) => name.split('|')[3] ?? '';

function scoped(
  version: string,
  clusters: Record<string, string[]>,
  opts: { full?: boolean; fullFor?: string; fail?: boolean; grouped?: boolean } = {},
): ScopedPush {
  return {
    ...testPush(version, { clusters }),
    incrementalScope(_previous, configsUpdated) {
      if (opts.fail) throw new Error('scope bug');
      if (opts.full) return undefined;
      const hosts = new Set([...configsUpdated].map(hostKey));
      return {
        affects: (_type: string, name: string) => configsUpdated.has(name),
        needsFull: (proxy: Proxy) => proxy.id === opts.fullFor,
        ...(opts.grouped
          ? { grouping: { typeUrl: ENDPOINT_TYPE, keyOf: hostKey, keys: hosts } }
          : {}),
      };
    },
  };
}

const endpointsOf = (...names: string[]): PushRequest => ({
  full: false,
  configsUpdated: new Set(names),
  reason: ['endpoint'],
});

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function start(debounceQuietMs = 100) {
  const log = memoryLogger();
  const gens = testGenerators();
  const server = new XdsServer<ScopedPush>({
    generators: gens.generators,
    log,
    debounceQuietMs,
    debounceMaxMs: 5000,
  });
  const port = await server.listen();
  cleanup.push(() => server.stop());
  server.push(scoped('v1', { [A]: ['10.0.0.1'], [B]: ['10.0.0.2'], [C]: ['10.0.0.3'] }), FULL);
  await server.flush();
  return { server, port, log, calls: gens.calls };
}

/** A SotW proxy holding CDS (ACKed) and EDS for `eds` (ACKed). */
async function sotwProxy(port: number, eds: string[], id = SIDECAR_ID) {
  const s = AdsStream.sotw(port);
  cleanup.push(() => s.close());
  s.send({ node: node(id), type_url: CLUSTER_TYPE });
  const cds = await s.next();
  s.send({ type_url: CLUSTER_TYPE, version_info: cds.version_info, response_nonce: cds.nonce });
  s.send({ type_url: ENDPOINT_TYPE, resource_names: eds });
  const first = await s.next();
  expect(first.type_url).toBe(ENDPOINT_TYPE);
  s.send({
    type_url: ENDPOINT_TYPE,
    version_info: first.version_info,
    response_nonce: first.nonce,
    resource_names: eds,
  });
  return { s, eds: first };
}

function state(server: XdsServer<ScopedPush>, id: string, typeUrl: string) {
  return server
    .syncz()
    .find((p) => p.proxy === id)
    ?.types.find((t) => t.typeUrl === typeUrl);
}

const names = (res: Record<string, any>) => Object.keys(decodeResources(res.resources)).sort();

describe('incremental EDS push', () => {
  test('SotW: only the changed assignment is regenerated and sent; CDS is not touched', async () => {
    const { server, port, calls } = await start();
    const { s } = await sotwProxy(port, [A, B, C]);
    await waitFor(() => state(server, SIDECAR_ID, ENDPOINT_TYPE)?.state === 'SYNCED', 'EDS ACK');
    const before = calls.length;
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'], [C]: ['10.0.0.3'] }),
      endpointsOf(A),
    );
    await server.flush();
    const res = await s.next();
    expect(res.type_url).toBe(ENDPOINT_TYPE);
    expect(names(res)).toEqual([A]);
    expect(JSON.stringify(decodeResources(res.resources))).toContain('10.0.0.9');
    expect(calls.slice(before).map((c) => c.type)).toEqual([ENDPOINT_TYPE]);
    expect(state(server, SIDECAR_ID, CLUSTER_TYPE)?.sentVersion).toBe('v1');
    // The proxy still holds all three: the response was a subset, not a replacement.
    expect(state(server, SIDECAR_ID, ENDPOINT_TYPE)?.resources).toBe(3);
  });

  test('a scope grouped by host finds the same assignments, for each of several pushes', async () => {
    const { server, port } = await start();
    const { s } = await sotwProxy(port, [A, B, C]);
    for (const [version, ip] of [
      ['v2', '10.0.0.9'],
      ['v3', '10.0.0.10'],
    ] as const) {
      server.push(
        scoped(version, { [A]: ['10.0.0.1'], [B]: [ip], [C]: ['10.0.0.3'] }, { grouped: true }),
        endpointsOf(B),
      );
      await server.flush();
      const res = await s.next();
      expect(names(res)).toEqual([B]);
      expect(JSON.stringify(decodeResources(res.resources))).toContain(ip);
    }
  });

  test('a proxy watching none of the changed assignments gets no response and no generation', async () => {
    const { server, port, calls } = await start();
    const watcher = await sotwProxy(port, [A]);
    const bystander = await sotwProxy(port, [B], OTHER_ID);
    await waitFor(() => state(server, OTHER_ID, ENDPOINT_TYPE)?.state === 'SYNCED', 'EDS ACK');
    const nonce = state(server, OTHER_ID, ENDPOINT_TYPE)?.sentNonce;
    const before = calls.length;
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'], [C]: ['10.0.0.3'] }),
      endpointsOf(A),
    );
    await server.flush();
    expect(names(await watcher.s.next())).toEqual([A]);
    expect(calls.slice(before).map((c) => c.proxy)).toEqual([SIDECAR_ID]);
    expect(state(server, OTHER_ID, ENDPOINT_TYPE)?.sentNonce).toBe(nonce);
    expect(bystander.s.pending()).toBe(0);
  });

  test('delta: only the changed assignment is sent and nothing outside the scope is removed', async () => {
    const { server, port } = await start();
    const s = AdsStream.delta(port);
    cleanup.push(() => s.close());
    s.send({ node: node(), type_url: ENDPOINT_TYPE, resource_names_subscribe: [A, B] });
    const first = await s.next();
    expect(first.resources.map((r: { name: string }) => r.name).sort()).toEqual([A, B]);
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: first.nonce });
    // A changes and B disappears, but only A is in scope: B stays as the proxy has it.
    server.push(scoped('v2', { [A]: ['10.0.0.9'], [C]: ['10.0.0.3'] }), endpointsOf(A));
    await server.flush();
    const res = await s.next();
    expect(res.resources.map((r: { name: string }) => r.name)).toEqual([A]);
    expect(res.removed_resources ?? []).toEqual([]);
    // In scope and gone: announced as removed.
    server.push(scoped('v3', { [C]: ['10.0.0.3'] }), endpointsOf(A));
    await server.flush();
    const gone = await s.next();
    expect(gone.resources ?? []).toEqual([]);
    expect(gone.removed_resources).toEqual([A]);
  });

  test('a scope that asks for a full push gets one (CDS regenerated too)', async () => {
    const { server, port } = await start();
    const { s } = await sotwProxy(port, [A, B, C]);
    server.push(scoped('v2', { [A]: ['10.0.0.9'] }, { full: true }), endpointsOf(A));
    await server.flush();
    const cds = await s.next();
    expect(cds.type_url).toBe(CLUSTER_TYPE);
    expect(names(cds)).toEqual([A]);
  });

  test('a failing scope is logged and the push goes out in full rather than not at all', async () => {
    const { server, port, log } = await start();
    const { s } = await sotwProxy(port, [A, B, C]);
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.8'], [C]: ['10.0.0.3'] }, { fail: true }),
      endpointsOf(A),
    );
    await server.flush();
    const eds = await s.next();
    expect(names(eds)).toEqual([A, B]);
    expect(log.lines.some((l) => l.startsWith('error') && l.includes('scope bug'))).toBe(true);
  });

  test('a proxy the scope says needs a full push gets every changed type', async () => {
    const { server, port } = await start();
    const plain = await sotwProxy(port, [A, B]);
    const own = await sotwProxy(port, [A, B], OTHER_ID);
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.8'] }, { fullFor: OTHER_ID }),
      endpointsOf(A),
    );
    await server.flush();
    const forOwn = [await own.s.next(), await own.s.next()];
    expect(forOwn.map((r) => r.type_url)).toEqual([CLUSTER_TYPE, ENDPOINT_TYPE]);
    expect(names(forOwn[1]!)).toEqual([A, B]);
    const forPlain = await plain.s.next();
    expect(forPlain.type_url).toBe(ENDPOINT_TYPE);
    expect(names(forPlain)).toEqual([A]);
  });
});

describe('merged pushes', () => {
  test('an endpoint change merged with a full push is not lost, and the merged push is full', async () => {
    const { server, port } = await start(50);
    const { s } = await sotwProxy(port, [A, B, C]);
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'], [C]: ['10.0.0.3'] }),
      endpointsOf(A),
    );
    // A full change in the same window (C's cluster goes away): the merged push is full.
    server.push(scoped('v3', { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'] }), FULL);
    await server.idle();
    const cds = await s.next();
    expect(cds.type_url).toBe(CLUSTER_TYPE);
    expect(names(cds)).toEqual([A, B]);
    const eds = await s.next();
    expect(eds.version_info).toBe('v3');
    expect(JSON.stringify(decodeResources(eds.resources))).toContain('10.0.0.9');
    expect(s.pending()).toBe(0);
  });

  test('two endpoint changes in one window both reach the proxy', async () => {
    const { server, port } = await start(50);
    const { s } = await sotwProxy(port, [A, B, C]);
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.2'], [C]: ['10.0.0.3'] }),
      endpointsOf(A),
    );
    server.push(
      scoped('v3', { [A]: ['10.0.0.9'], [B]: ['10.0.0.8'], [C]: ['10.0.0.3'] }),
      endpointsOf(B),
    );
    await server.idle();
    const eds = await s.next();
    expect(names(eds)).toEqual([A, B]);
    const text = JSON.stringify(decodeResources(eds.resources));
    expect(text).toContain('10.0.0.9');
    expect(text).toContain('10.0.0.8');
  });

  test('after an incremental push a newly requested assignment comes from the current snapshot', async () => {
    const { server, port } = await start();
    const { s } = await sotwProxy(port, [A]);
    server.push(
      scoped('v2', { [A]: ['10.0.0.9'], [B]: ['10.0.0.7'], [C]: ['10.0.0.3'] }),
      endpointsOf(A, B),
    );
    await server.flush();
    const res = await s.next();
    expect(names(res)).toEqual([A]);
    // The proxy now asks for B too: it must get v2's B, not v1's.
    s.send({
      type_url: ENDPOINT_TYPE,
      version_info: res.version_info,
      response_nonce: res.nonce,
      resource_names: [A, B],
    });
    const more = await s.next();
    expect(names(more)).toEqual([B]);
    expect(JSON.stringify(decodeResources(more.resources))).toContain('10.0.0.7');
  });
});
