// A real proxyless gRPC client (@grpc/grpc-js-xds) against the ADS server:
// it must accept LDS, RDS, CDS and EDS (ACK all four) and route a call to the
// backend the endpoints name.
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedResource, Generator } from '../../../pilot/translate/types.ts';
import { XdsServer } from '../../../pilot/xds/server.ts';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FULL,
  LISTENER_TYPE,
  ROUTE_TYPE,
  apiListenerResource,
  clusterResource,
  endpointResource,
  memoryLogger,
  routeResource,
  waitFor,
} from './fixtures.ts';

const HOST = 'echo.default.svc.cluster.local';
const LISTENER = `${HOST}:7070`;
const ROUTE = 'echo-route';
const CLUSTER = `outbound|7070||${HOST}`;
const CLIENT_ID = 'sidecar~127.0.0.1~grpc-client.default~default.svc.cluster.local';

interface Push {
  version: string;
  backendPort: number;
}

function gen(typeUrl: string, build: (p: Push) => GeneratedResource[]): Generator<Push> {
  return {
    typeUrl,
    generate: (p, _proxy, names) =>
      build(p).filter((r) => names.length === 0 || names.includes(r.name)),
  };
}

const identity = (b: Buffer) => b;
let backend: grpc.Server;
let server: XdsServer<Push>;
let client: grpc.Client | undefined;

beforeAll(async () => {
  backend = new grpc.Server();
  backend.addService(
    {
      Echo: {
        path: '/test.Echo/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request])),
    },
  );
  const backendPort = await new Promise<number>((resolve, reject) =>
    backend.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  server = new XdsServer<Push>({
    log: memoryLogger(),
    generators: [
      gen(LISTENER_TYPE, () => [apiListenerResource(LISTENER, ROUTE)]),
      gen(ROUTE_TYPE, () => [routeResource(ROUTE, CLUSTER)]),
      gen(CLUSTER_TYPE, () => [clusterResource(CLUSTER)]),
      gen(ENDPOINT_TYPE, (p) => [endpointResource(CLUSTER, ['127.0.0.1'], p.backendPort)]),
    ],
  });
  const xdsPort = await server.listen();
  server.push({ version: 'v1', backendPort }, FULL);
  await server.flush();

  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: {
      id: CLIENT_ID,
      cluster: 'grpc-client.default',
      metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' },
      locality: {},
    },
  });
  grpcXds.register();
});

afterAll(async () => {
  client?.close();
  await server.stop();
  backend.forceShutdown();
});

test('the proxyless gRPC client ACKs LDS, RDS, CDS and EDS and reaches the backend', async () => {
  client = new grpc.Client(`xds:///${LISTENER}`, grpc.credentials.createInsecure());
  const reply = await new Promise<Buffer>((resolve, reject) =>
    client!.makeUnaryRequest(
      '/test.Echo/Echo',
      identity,
      identity,
      Buffer.from('hi'),
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
  expect(reply.toString()).toBe('echo:hi');
  const status = await waitFor(() => {
    const s = server.syncz().find((p) => p.proxy === CLIENT_ID);
    return s && s.types.length === 4 && s.types.every((t) => t.state === 'SYNCED') ? s : undefined;
  }, 'all four types ACKed');
  expect(status.types.map((t) => t.type).sort()).toEqual(['cds', 'eds', 'lds', 'rds']);
  expect(status.types.every((t) => t.ackedVersion === 'v1' && !t.nack)).toBe(true);
});
