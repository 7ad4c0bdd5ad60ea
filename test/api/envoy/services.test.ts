import { Server, ServerCredentials, credentials } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServerDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TypeUrl,
  adsServiceDefinition,
  decodeAny,
  encodeResource,
  loadAdsPackage,
  structForLoader,
  structFromLoader,
} from '../../../api/envoy/registry.ts';
import type { PackedAny } from '../../../api/envoy/registry.ts';
import { edsCluster } from './fixtures.ts';

interface Request {
  type_url?: string;
  resource_names?: string[];
  node?: { id?: string; metadata?: { fields?: Record<string, Record<string, unknown>> } };
}
interface Response {
  version_info?: string;
  type_url?: string;
  nonce?: string;
  resources?: PackedAny[];
}

describe('ADS service definition over a real gRPC connection', () => {
  let server: Server;
  let port = 0;
  const seen: Request[] = [];

  beforeAll(async () => {
    server = new Server();
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources(call: ServerDuplexStream<Request, Response>) {
        call.on('data', (req: Request) => {
          seen.push(req);
          call.write({
            version_info: '1',
            nonce: 'n1',
            type_url: req.type_url,
            resources: [encodeResource(edsCluster())],
          });
        });
        call.on('end', () => call.end());
      },
      DeltaAggregatedResources(call: ServerDuplexStream<unknown, unknown>) {
        call.end();
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('drops a snake_case Value on the wire: proto-loader Structs need the camelCase names structForLoader writes', async () => {
    const { AggregatedDiscoveryService } = loadAdsPackage();
    const client = new AggregatedDiscoveryService(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    ) as unknown as {
      StreamAggregatedResources(): ClientDuplexStream<Request, Response>;
      close(): void;
    };
    try {
      const call = client.StreamAggregatedResources();
      const answered = new Promise((resolve, reject) => {
        call.on('data', resolve);
        call.on('error', reject);
      });
      const before = seen.length;
      call.write({
        type_url: TypeUrl.Cluster,
        node: { id: 'x', metadata: { fields: { A: { string_value: 'lost' } } } },
      });
      await answered;
      call.end();
      expect(structFromLoader(seen[before]?.node?.metadata)).toEqual({ A: null });
    } finally {
      client.close();
    }
  });

  it('has both the SotW and the delta stream methods', () => {
    const def = adsServiceDefinition();
    expect(Object.keys(def).sort()).toEqual([
      'DeltaAggregatedResources',
      'StreamAggregatedResources',
    ]);
    expect(def['StreamAggregatedResources']!.path).toBe(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    );
    expect(loadAdsPackage().SecretDiscoveryService.service['StreamSecrets']).toBeDefined();
  });

  it('carries resources packed by encodeResource to a proto-loader client, which decodeAny opens', async () => {
    const { AggregatedDiscoveryService } = loadAdsPackage();
    const client = new AggregatedDiscoveryService(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    ) as unknown as {
      StreamAggregatedResources(): ClientDuplexStream<Request, Response>;
      close(): void;
    };
    try {
      const before = seen.length;
      const metadata = {
        NAMESPACE: 'default',
        LABELS: { app: 'reviews', version: 'v1' },
        INTERCEPTION_MODE: 'REDIRECT',
        ports: [9080, 15090],
        mtls: true,
        none: null,
      };
      const call = client.StreamAggregatedResources();
      const response = new Promise<Response>((resolve, reject) => {
        call.on('data', resolve);
        call.on('error', reject);
      });
      call.write({
        type_url: TypeUrl.Cluster,
        resource_names: [],
        node: {
          id: 'sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local',
          metadata: structForLoader(metadata),
        },
      });
      const res = await response;
      call.end();
      expect(res.type_url).toBe(TypeUrl.Cluster);
      expect(res.resources).toHaveLength(1);
      expect(decodeAny(res.resources![0]!)).toEqual(edsCluster());
      expect(seen[before]?.node?.id).toBe(
        'sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local',
      );
      expect(structFromLoader(seen[before]?.node?.metadata)).toEqual(metadata);
    } finally {
      client.close();
    }
  });
});
