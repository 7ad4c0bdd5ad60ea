// Istio's HTTP metadata exchange: the wire encoding (base64 of a deterministic
// protobuf Struct, checked against bytes assembled by hand from the protobuf
// encoding rules), the round trip, and which side adds, reads and strips the headers.
import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../../../sidecar/proxy/upstream/types.ts';
import {
  decodePeerMetadata,
  encodePeerMetadata,
  PEER_METADATA_HEADER,
  PEER_METADATA_ID_HEADER,
  PeerMetadataExchange,
} from '../../../sidecar/telemetry/peer-metadata.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import {
  workloadFromNodeMetadata,
  workloadToPeerStruct,
} from '../../../sidecar/telemetry/workload.ts';
import { nodeId, nodeMetadata, PRODUCTPAGE, record } from './support/records.ts';

// Protobuf wire format by hand: tag = field << 3 | wire type; strings and messages are length-delimited (2).
function ld(field: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
}
const str = (field: number, s: string) => ld(field, Buffer.from(s));
// Struct { map<string, Value> fields = 1 }; map entry { key = 1; value = 2 }; Value.string_value = 3, struct_value = 5.
const entry = (key: string, value: Buffer) => ld(1, Buffer.concat([str(1, key), ld(2, value)]));
const stringValue = (s: string) => str(3, s);

describe('peer metadata encoding', () => {
  it('writes the Struct with map keys sorted, byte for byte what protobuf deterministic serialization gives', () => {
    const labels = Buffer.concat([
      entry('app', stringValue('productpage')),
      entry('version', stringValue('v1')),
    ]);
    const expected = Buffer.concat([
      entry('LABELS', ld(5, labels)),
      entry('NAMESPACE', stringValue('default')),
      entry('WORKLOAD_NAME', stringValue('productpage-v1')),
    ]);
    const encoded = encodePeerMetadata({
      WORKLOAD_NAME: 'productpage-v1',
      NAMESPACE: 'default',
      LABELS: { version: 'v1', app: 'productpage' },
    });
    expect(Buffer.from(encoded, 'base64')).toEqual(expected);
    expect(encoded).toBe(expected.toString('base64'));
  });

  it('round-trips a workload through the header value, padded or not', () => {
    const struct = workloadToPeerStruct(PRODUCTPAGE);
    const value = encodePeerMetadata(struct);
    expect(decodePeerMetadata(value)).toEqual(struct);
    expect(decodePeerMetadata(value.replace(/=+$/, ''))).toEqual(struct);
    expect(struct).toEqual({
      NAME: 'productpage-v1-7d9f8c-abcde',
      NAMESPACE: 'default',
      WORKLOAD_NAME: 'productpage-v1',
      CLUSTER_ID: 'Kubernetes',
      OWNER: 'kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1',
      SERVICE_ACCOUNT: 'bookinfo-productpage',
      LABELS: {
        app: 'productpage',
        version: 'v1',
        'service.istio.io/canonical-name': 'productpage',
        'service.istio.io/canonical-revision': 'v1',
      },
    });
  });

  it('rejects a value that is not a Struct with a coded error', () => {
    expect(() => decodePeerMetadata(Buffer.from([0x0a, 0x7f, 0x01]).toString('base64'))).toThrow(
      expect.objectContaining({ code: 'PETREL_TELEMETRY_PEER_METADATA' }),
    );
  });
});

describe('peer metadata exchange', () => {
  const local = workloadFromNodeMetadata(nodeMetadata('reviews', 'v1'));
  const reviewsId = nodeId('reviews', '10.0.0.5');

  it('adds id and metadata, and takes both out of the map it reads', () => {
    const client = new PeerMetadataExchange({ nodeId: reviewsId, local });
    const server = new PeerMetadataExchange({
      nodeId: 'sidecar~10.0.0.7~ratings.default~default.svc.cluster.local',
      local: PRODUCTPAGE,
    });
    const headers: HeaderMap = { accept: '*/*' };
    client.inject(headers);
    expect(headers[PEER_METADATA_ID_HEADER]).toBe(reviewsId);
    const peer = server.extract(headers);
    expect(headers).toEqual({ accept: '*/*' });
    expect(peer).toMatchObject({
      workloadName: 'reviews-v1',
      namespace: 'default',
      canonicalService: 'reviews',
      canonicalRevision: 'v1',
      app: 'reviews',
      version: 'v1',
      clusterId: 'Kubernetes',
      workloadType: 'deployment',
      serviceAccount: 'bookinfo-reviews',
    });
    // Cached by peer id: the same object comes back, so metric label sets are reused.
    client.inject(headers);
    expect(server.extract(headers)).toBe(peer);
  });

  it('answers undefined without headers and null (reported once) for garbage', () => {
    const errors: string[] = [];
    const ex = new PeerMetadataExchange({
      nodeId: reviewsId,
      local,
      onError: (l) => errors.push(l),
    });
    expect(ex.extract({})).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const h: HeaderMap = {
        [PEER_METADATA_ID_HEADER]: 'bad-peer',
        [PEER_METADATA_HEADER]: 'CgJ/AQ==',
      };
      expect(ex.extract(h)).toBeNull();
      expect(h).toEqual({});
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^peer bad-peer: x-envoy-peer-metadata: /);
  });

  it('flows client → server → client through the telemetry hooks, and both reporters name the other side', () => {
    const client = new Telemetry({
      node: { id: nodeId('productpage', '10.0.0.4'), metadata: nodeMetadata('productpage', 'v1') },
    });
    const server = new Telemetry({
      node: { id: reviewsId, metadata: nodeMetadata('reviews', 'v1') },
    });
    const out = record({
      direction: 'outbound',
      cluster: 'outbound|9080||reviews.default.svc.cluster.local',
      authority: 'reviews:9080',
      code: 200,
    });
    const inb = record({
      direction: 'inbound',
      cluster: 'inbound|9080||',
      authority: 'reviews:9080',
      code: 200,
    });

    const requestHeaders: HeaderMap = { 'x-request-id': 'r1' };
    client.onRequestHeaders(out, requestHeaders);
    expect(requestHeaders[PEER_METADATA_HEADER]).toBeTypeOf('string');
    server.onRequestHeaders(inb, requestHeaders);
    expect(requestHeaders).toEqual({ 'x-request-id': 'r1' }); // the app never sees them

    const responseHeaders: HeaderMap = { 'content-type': 'text/plain' };
    server.onResponseHeaders(inb, responseHeaders);
    expect(responseHeaders[PEER_METADATA_ID_HEADER]).toBe(reviewsId);
    client.onResponseHeaders(out, responseHeaders);
    expect(responseHeaders).toEqual({ 'content-type': 'text/plain' }); // nor does the client app

    client.onRequestComplete(out);
    server.onRequestComplete(inb);
    expect(client.prometheus()).toContain('reporter="source",source_workload="productpage-v1"');
    expect(client.prometheus()).toContain(
      'destination_workload="reviews-v1",destination_workload_namespace="default"',
    );
    expect(server.prometheus()).toContain(
      'reporter="destination",source_workload="productpage-v1",source_canonical_service="productpage"',
    );
  });

  it('does not answer with its metadata when the client sent none (a non-mesh client)', () => {
    const server = new Telemetry({
      node: { id: reviewsId, metadata: nodeMetadata('reviews', 'v1') },
    });
    const inb = record({ direction: 'inbound', cluster: 'inbound|9080||' });
    server.onRequestHeaders(inb, {});
    const response: HeaderMap = {};
    server.onResponseHeaders(inb, response);
    expect(response).toEqual({});
  });
});
