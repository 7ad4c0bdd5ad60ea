import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, test } from 'vitest';
import type { Generator } from '../../../pilot/translate/types.ts';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  FULL,
  LISTENER_TYPE,
  clusterResource,
  decodeResources,
  memoryLogger,
  node,
  testGenerators,
  testPush,
  waitFor,
} from './fixtures.ts';
import type { TestPush } from './fixtures.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function start(opts: Partial<ConstructorParameters<typeof XdsServer<TestPush>>[0]> = {}) {
  const log = memoryLogger();
  const gens = testGenerators();
  const server = new XdsServer<TestPush>({ generators: gens.generators, log, ...opts });
  const port = await server.listen();
  cleanup.push(() => server.stop());
  return { server, port, log, calls: gens.calls };
}

function open(port: number, kind: 'sotw' | 'delta' = 'sotw'): AdsStream {
  const s = kind === 'sotw' ? AdsStream.sotw(port) : AdsStream.delta(port);
  cleanup.push(() => s.close());
  return s;
}

describe('XdsServer', () => {
  test('a node id that is not an Istio proxy id ends the stream with INVALID_ARGUMENT and a log line', async () => {
    const { port, log, server } = await start();
    for (const kind of ['sotw', 'delta'] as const) {
      const s = open(port, kind);
      s.send({ node: { id: 'not-a-proxy' }, type_url: CLUSTER_TYPE });
      const status = await s.statusPromise;
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toContain('PETREL_XDS_BAD_NODE');
      expect(status.details).toContain('not-a-proxy');
    }
    expect(
      log.lines.filter((l) => l.startsWith('warn') && l.includes('PETREL_XDS_BAD_NODE')),
    ).toHaveLength(2);
    expect(server.syncz()).toEqual([]);
  });

  test('a burst of pushes is debounced into one push of the last snapshot', async () => {
    const { server, port, calls } = await start({ debounceQuietMs: 30, debounceMaxMs: 5000 });
    server.push(testPush('v0'), FULL);
    await server.idle();
    const s = open(port);
    s.send({ node: node(), type_url: CLUSTER_TYPE });
    expect((await s.next()).version_info).toBe('v0');
    for (let i = 1; i <= 5; i++) {
      server.push(
        testPush(`v${i}`, { clusters: { [`outbound|80||s${i}.default.svc.cluster.local`]: [] } }),
        {
          full: true,
          configsUpdated: new Set([`ServiceEntry/default/s${i}`]),
          reason: ['config'],
        },
      );
    }
    await server.idle();
    const res = await s.next();
    expect(res.version_info).toBe('v5');
    expect(Object.keys(decodeResources(res.resources))).toEqual([
      'outbound|80||s5.default.svc.cluster.local',
    ]);
    const cdsVersions = calls.filter((c) => c.type === CLUSTER_TYPE).map((c) => c.version);
    expect(cdsVersions).toEqual(['v0', 'v5']);
    const metrics = await server.metrics.text();
    expect(metrics).toMatch(/pilot_push_triggers\{type="config"\} 6/);
    expect(metrics).toMatch(/pilot_debounce_time_count 2/);
  });

  test('the max delay bounds debouncing under a steady stream of requests', async () => {
    const { server } = await start({ debounceQuietMs: 50, debounceMaxMs: 100 });
    let dispatched = false;
    server.push(testPush('v1'), FULL);
    // Keep pushing more often than the quiet period until the first dispatch happens.
    for (let i = 2; !dispatched && i < 500; i++) {
      await new Promise((r) => setTimeout(r, 10));
      server.push(testPush(`v${i}`), FULL);
      dispatched = server.currentPush() !== undefined;
    }
    expect(dispatched).toBe(true);
  });

  test('a generator that throws keeps the proxy on its last good config and is reported', async () => {
    let broken = false;
    const gen: Generator<TestPush> = {
      typeUrl: CLUSTER_TYPE,
      generate(push) {
        if (broken) throw new Error('index out of range');
        return Object.keys(push.clusters).map((n) => clusterResource(n));
      },
    };
    const log = memoryLogger();
    const server = new XdsServer<TestPush>({ generators: [gen], log });
    const port = await server.listen();
    cleanup.push(() => server.stop());
    server.push(testPush('v1'), FULL);
    await server.flush();
    const s = open(port);
    s.send({ node: node(), type_url: CLUSTER_TYPE });
    const first = await s.next();
    broken = true;
    server.push(testPush('v2', { clusters: {} }), FULL);
    await server.flush();
    expect(
      log.lines.some(
        (l) =>
          l.startsWith('error') &&
          l.includes('PETREL_XDS_GENERATE') &&
          l.includes('index out of range'),
      ),
    ).toBe(true);
    expect(await server.metrics.text()).toMatch(/pilot_total_xds_internal_errors 1/);
    expect(server.syncz()[0]!.types[0]!.sentVersion).toBe('v1');
    broken = false;
    server.push(testPush('v3', { clusters: {} }), FULL);
    await server.flush();
    const next = await s.next();
    expect(next.version_info).toBe('v3');
    expect(next.nonce).not.toBe(first.nonce);
  });

  test('a resource that does not encode is reported with its name and the type is not sent', async () => {
    const gen: Generator<TestPush> = {
      typeUrl: CLUSTER_TYPE,
      generate: () => [
        { name: 'bad', resource: { '@type': CLUSTER_TYPE, name: 'bad', not_a_field: 1 } },
      ],
    };
    const log = memoryLogger();
    const server = new XdsServer<TestPush>({ generators: [gen], log });
    const port = await server.listen();
    cleanup.push(() => server.stop());
    server.push(testPush('v1'), FULL);
    await server.flush();
    const s = open(port);
    s.send({ node: node(), type_url: CLUSTER_TYPE });
    await waitFor(() => log.lines.find((l) => l.includes('PETREL_XDS_GENERATE')), 'error line');
    const line = log.lines.find((l) => l.includes('PETREL_XDS_GENERATE'))!;
    expect(line).toContain('"bad"');
    expect(line).toContain('not_a_field');
    expect(server.syncz()[0]!.types[0]!.state).toBe('NOT SENT');
  });

  test('a generator that emits one name twice is reported and nothing is sent', async () => {
    const gen: Generator<TestPush> = {
      typeUrl: CLUSTER_TYPE,
      generate: () => [clusterResource('twice'), clusterResource('twice')],
    };
    const log = memoryLogger();
    const server = new XdsServer<TestPush>({ generators: [gen], log });
    const port = await server.listen();
    cleanup.push(() => server.stop());
    server.push(testPush('v1'), FULL);
    await server.flush();
    const s = open(port);
    s.send({ node: node(), type_url: CLUSTER_TYPE });
    const line = await waitFor(
      () => log.lines.find((l) => l.includes('PETREL_XDS_GENERATE')),
      'error line',
    );
    expect(line).toContain('"twice": generated twice');
    expect(server.syncz()[0]!.types[0]!.state).toBe('NOT SENT');
  });

  test('a type without a generator is ignored with a warning, other types keep working', async () => {
    const { server, port, log } = await start();
    server.push(testPush('v1'), FULL);
    await server.flush();
    const s = open(port);
    s.send({ node: node(), type_url: 'type.googleapis.com/envoy.service.runtime.v3.Runtime' });
    s.send({ type_url: LISTENER_TYPE });
    expect((await s.next()).type_url).toBe(LISTENER_TYPE);
    expect(
      log.lines.some((l) => l.includes('PETREL_XDS_UNKNOWN_TYPE') && l.includes('Runtime')),
    ).toBe(true);
  });

  test('a push to many proxies yields to the event loop between batches and reaches them all', async () => {
    const calls: string[] = [];
    let seenWhenLoopRan = -1;
    const gen: Generator<TestPush> = {
      typeUrl: CLUSTER_TYPE,
      generate(push, proxy) {
        if (push.version === 'v2') {
          if (calls.length === 0) setImmediate(() => (seenWhenLoopRan = calls.length));
          calls.push(proxy.id);
        }
        return Object.keys(push.clusters).map((n) => clusterResource(n));
      },
    };
    const server = new XdsServer<TestPush>({
      generators: [gen],
      log: memoryLogger(),
      pushBatchSize: 2,
    });
    const port = await server.listen();
    cleanup.push(() => server.stop());
    server.push(testPush('v1'), FULL);
    await server.flush();
    const streams = Array.from({ length: 6 }, (_, i) => {
      const s = open(port);
      s.send({
        node: node(`sidecar~10.1.0.${i}~p${i}.default~default.svc.cluster.local`),
        type_url: CLUSTER_TYPE,
      });
      return s;
    });
    for (const s of streams) await s.next();
    server.push(
      testPush('v2', { clusters: { 'outbound|80||z.default.svc.cluster.local': [] } }),
      FULL,
    );
    await server.flush();
    for (const s of streams) expect((await s.next()).version_info).toBe('v2');
    expect(calls).toHaveLength(6);
    // The event loop ran after the first batch of two, before the push finished.
    expect(seenWhenLoopRan).toBe(2);
  });

  test('two generators for one type are refused', () => {
    const { generators } = testGenerators();
    expect(() => new XdsServer<TestPush>({ generators: [...generators, generators[0]!] })).toThrow(
      /two generators/,
    );
  });

  test('stop() ends open streams with UNAVAILABLE, refuses new ones and resolves', async () => {
    const log = memoryLogger();
    const server = new XdsServer<TestPush>({ generators: testGenerators().generators, log });
    const port = await server.listen();
    server.push(testPush('v1'), FULL);
    await server.flush();
    const a = open(port);
    const b = open(port, 'delta');
    a.send({ node: node(), type_url: CLUSTER_TYPE });
    b.send({
      node: node('router~10.1.0.2~gw.istio-system~istio-system.svc.cluster.local'),
      type_url: CLUSTER_TYPE,
    });
    await a.next();
    await b.next();
    expect(await server.metrics.text()).toMatch(/pilot_xds\{version="unknown"\} 2/);
    await server.stop();
    expect((await a.statusPromise).code).toBe(grpc.status.UNAVAILABLE);
    expect((await b.statusPromise).code).toBe(grpc.status.UNAVAILABLE);
    expect(server.syncz()).toEqual([]);
    expect(await server.metrics.text()).toMatch(/pilot_xds\{version="unknown"\} 0/);
    const late = open(port);
    late.send({ node: node(), type_url: CLUSTER_TYPE });
    expect((await late.statusPromise).code).toBe(grpc.status.UNAVAILABLE);
  });
});
