// Wires a real XdsClient to the scripted ADS server and a recording data plane,
// and walks the first full config exchange the way Envoy and pilot have it.
import { expect } from 'vitest';
import { TypeUrl } from '../../../../api/envoy/registry.ts';
import { LogRegistry } from '../../../../sidecar/agent/log.ts';
import { buildNodeIdentity } from '../../../../sidecar/agent/node-identity.ts';
import { XdsClient, type XdsClientOptions } from '../../../../sidecar/agent/xds-client.ts';
import { ScriptedAdsServer } from './ads-server.ts';
import { assignment, edsCluster, httpListener, outbound, routeConfig } from './fixtures.ts';
import { RecordingDataPlane } from './recording-data-plane.ts';

export const CDS = TypeUrl.Cluster;
export const EDS = TypeUrl.ClusterLoadAssignment;
export const LDS = TypeUrl.Listener;
export const RDS = TypeUrl.RouteConfiguration;
export const SDS = TypeUrl.Secret;

export const REVIEWS = outbound(9080, 'reviews.default.svc.cluster.local');
export const RATINGS = outbound(9080, 'ratings.default.svc.cluster.local');

export interface Harness {
  server: ScriptedAdsServer;
  dataPlane: RecordingDataPlane;
  client: XdsClient;
  logs: string[];
  close(): Promise<void>;
}

export async function startHarness(options: Partial<XdsClientOptions> = {}): Promise<Harness> {
  const server = await ScriptedAdsServer.start();
  const dataPlane = new RecordingDataPlane();
  const logs: string[] = [];
  const registry = new LogRegistry({ level: 'debug', sink: (line) => logs.push(line) });
  const client = new XdsClient({
    address: server.address,
    node: buildNodeIdentity({
      podName: 'productpage-v1-123',
      namespace: 'default',
      ips: ['10.1.0.5'],
      env: {},
    }),
    dataPlane,
    backoff: { initialMs: 20, maxMs: 200 },
    log: registry.get('xds'),
    ...options,
  });
  client.start();
  return {
    server,
    dataPlane,
    client,
    logs,
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

/** CDS → EDS → LDS → RDS over SotW, checking each request; leaves the client initialized. */
export async function bringUpSotw(h: Harness): Promise<void> {
  const { server } = h;
  const cds = await server.until((r) => r.typeUrl === CDS);
  expect(cds.resourceNames).toEqual([]);
  const n1 = server.sendSotw(CDS, 'c1', [edsCluster(REVIEWS), edsCluster(RATINGS)]);
  expect(await server.next()).toMatchObject({ typeUrl: CDS, versionInfo: 'c1', nonce: n1 });
  expect(await server.next()).toMatchObject({
    typeUrl: EDS,
    resourceNames: [RATINGS, REVIEWS].sort(),
  });
  const n2 = server.sendSotw(EDS, 'e1', [
    assignment(REVIEWS, ['10.0.0.1', '10.0.0.2'], 9080),
    assignment(RATINGS, ['10.0.1.1'], 9080),
  ]);
  expect(await server.next()).toMatchObject({ typeUrl: EDS, versionInfo: 'e1', nonce: n2 });
  expect(await server.next()).toMatchObject({ typeUrl: LDS, resourceNames: [] });
  const n3 = server.sendSotw(LDS, 'l1', [httpListener(9080, '9080')]);
  expect(await server.next()).toMatchObject({ typeUrl: LDS, versionInfo: 'l1', nonce: n3 });
  expect(await server.next()).toMatchObject({ typeUrl: RDS, resourceNames: ['9080'] });
  const n4 = server.sendSotw(RDS, 'r1', [routeConfig('9080', REVIEWS)]);
  expect(await server.next()).toMatchObject({ typeUrl: RDS, versionInfo: 'r1', nonce: n4 });
  await h.client.whenInitialized();
}
