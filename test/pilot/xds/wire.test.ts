// Hand-assembled discovery responses must decode exactly as proto-loader's
// own serialization of the same response does.
import { afterEach, describe, expect, test } from 'vitest';
import { adsServiceDefinition, encodeResource } from '../../../api/envoy/registry.ts';
import type { EncodedResource } from '../../../pilot/xds/encode.ts';
import {
  adsServiceWithRawResponses,
  deltaResponse,
  sotwResponse,
} from '../../../pilot/xds/wire.ts';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  AdsStream,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FULL,
  clusterResource,
  decodeResources,
  endpointResource,
  memoryLogger,
  node,
  testGenerators,
  testPush,
} from './fixtures.ts';
import type { TestPush } from './fixtures.ts';

const ads = adsServiceDefinition();
const SOTW = ads.StreamAggregatedResources!;
const DELTA = ads.DeltaAggregatedResources!;

function encoded(name: string, resource = clusterResource(name).resource): EncodedResource {
  const any = encodeResource(resource);
  return { name, any: { type_url: any.type_url, value: any.value }, version: `v-${name}` };
}

// Names long enough that lengths need two-byte varints, and one beyond ASCII.
const RESOURCES = [
  encoded('outbound|80||a.default.svc.cluster.local'),
  encoded(`outbound|80||${'x'.repeat(200)}.default.svc.cluster.local`),
  encoded('outbound|80||ü.default.svc.cluster.local'),
];

const header = {
  version: '2026-11-22T03:00:00.000Z/42',
  typeUrl: RESOURCES[0]!.any.type_url,
  nonce: 'abcd-7',
  identifier: 'petrel',
};

function viaLoader(method: typeof SOTW, message: unknown): unknown {
  return method.responseDeserialize(method.responseSerialize(message));
}

describe('wire', () => {
  test('a SotW response decodes as the same response serialized by proto-loader', () => {
    const ours = SOTW.responseDeserialize(sotwResponse(header, RESOURCES).serialize());
    expect(ours).toEqual(
      viaLoader(SOTW, {
        version_info: header.version,
        resources: RESOURCES.map((r) => r.any),
        type_url: header.typeUrl,
        nonce: header.nonce,
        control_plane: { identifier: header.identifier },
      }),
    );
  });

  test('a list sent again is framed from its kept bytes, identically', () => {
    const list = [...RESOURCES, encoded('eds', endpointResource('eds', ['10.0.0.1']).resource)];
    const first = sotwResponse(header, list).serialize();
    const second = sotwResponse(header, list).serialize();
    const third = sotwResponse({ ...header, nonce: 'abcd-8' }, list).serialize();
    expect(second.equals(first)).toBe(true);
    expect((SOTW.responseDeserialize(third) as { resources: unknown[] }).resources).toEqual(
      (SOTW.responseDeserialize(first) as { resources: unknown[] }).resources,
    );
  });

  test('an empty SotW response keeps its header fields', () => {
    expect(SOTW.responseDeserialize(sotwResponse(header, []).serialize())).toEqual(
      viaLoader(SOTW, {
        version_info: header.version,
        resources: [],
        type_url: header.typeUrl,
        nonce: header.nonce,
        control_plane: { identifier: header.identifier },
      }),
    );
  });

  test('a delta response decodes as the same response serialized by proto-loader', () => {
    const removed = ['gone', '', 'ü-gone'];
    const ours = DELTA.responseDeserialize(deltaResponse(header, RESOURCES, removed).serialize());
    expect(ours).toEqual(
      viaLoader(DELTA, {
        system_version_info: header.version,
        resources: RESOURCES.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
        type_url: header.typeUrl,
        removed_resources: removed,
        nonce: header.nonce,
        control_plane: { identifier: header.identifier },
      }),
    );
  });

  test('the ADS service serializes built responses itself, and objects as proto-loader does', () => {
    const raw = adsServiceWithRawResponses();
    const serialize = raw.StreamAggregatedResources!.responseSerialize;
    const big = sotwResponse(header, RESOURCES);
    const small = sotwResponse({ ...header, nonce: 'n2' }, RESOURCES.slice(0, 1));
    // One buffer serves every response: each result is valid until the next serialize.
    const bigBytes = Buffer.from(serialize(big));
    expect(bigBytes.equals(big.serialize())).toBe(true);
    expect(Buffer.from(serialize(small)).equals(small.serialize())).toBe(true);
    const object = { version_info: 'v1', type_url: header.typeUrl, nonce: 'n' };
    expect(serialize(object)).toEqual(SOTW.responseSerialize(object));
    expect(Object.keys(raw).sort()).toEqual(Object.keys(ads).sort());
  });

  test('a list sent again is framed once and written in place, every response whole', () => {
    const serialize = adsServiceWithRawResponses().StreamAggregatedResources!.responseSerialize;
    const long = Array.from({ length: 6 }, (_, i) => encoded(`outbound|80||kept${i}`));
    const short = long.slice(0, 2);
    for (const list of [long, short, long.slice(0, 1)]) {
      const responses = ['n1', 'n2', 'n3-longer-nonce'].map((nonce) =>
        sotwResponse({ ...header, nonce }, list),
      );
      expect(responses.map((r) => r.inPlace !== undefined)).toEqual([false, true, true]);
      for (const r of responses) {
        const bytes = Buffer.from(serialize(r));
        expect(bytes.equals(r.serialize())).toBe(true);
        const decoded = SOTW.responseDeserialize(bytes) as { nonce: string; resources: unknown[] };
        expect(decoded.resources).toHaveLength(list.length);
      }
      expect((SOTW.responseDeserialize(serialize(responses[2]!)) as { nonce: string }).nonce).toBe(
        'n3-longer-nonce',
      );
    }
  });

  test('many large responses to many streams at once all arrive intact, within a send budget', async () => {
    const clusters: Record<string, string[]> = {};
    for (let i = 0; i < 400; i++)
      clusters[`outbound|80||s${i}.default.svc.cluster.local`] = [`10.0.${i >> 8}.${i & 255}`];
    // A budget far below the responses in flight: work waits for writes, and none is lost.
    const server = new XdsServer<TestPush>({
      generators: testGenerators().generators,
      log: memoryLogger(),
      sendBudgetBytes: 16 * 1024,
    });
    cleanup.push(() => server.stop());
    const port = await server.listen();
    server.push(testPush('v1', { clusters }), FULL);
    await server.flush();
    const names = Object.keys(clusters);
    const streams = Array.from({ length: 6 }, (_, k) => {
      const s = AdsStream.sotw(port);
      cleanup.push(() => s.close());
      s.send({
        node: node(`sidecar~10.1.0.${k + 1}~p${k}.default~default.svc.cluster.local`),
        type_url: CLUSTER_TYPE,
      });
      s.send({ type_url: ENDPOINT_TYPE, resource_names: names });
      return s;
    });
    for (const s of streams) {
      const got = new Map<string, Record<string, Record<string, unknown>>>();
      for (let i = 0; i < 2; i++) {
        const res = await s.next();
        got.set(res.type_url, decodeResources(res.resources));
      }
      expect(Object.keys(got.get(CLUSTER_TYPE)!)).toEqual(names);
      const eds = got.get(ENDPOINT_TYPE)!;
      expect(Object.keys(eds)).toEqual(names);
      expect(JSON.stringify(eds[names[399]!])).toContain('10.0.1.143');
    }
  });
});

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
