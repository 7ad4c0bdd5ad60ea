// A proxyless gRPC client of the echo service, configured by pilot's xDS through
// @grpc/grpc-js-xds exactly as an application would be (bootstrap in
// GRPC_XDS_BOOTSTRAP_CONFIG, `xds:///` target). Shared by the end-to-end tests that
// prove routing with a real xDS client (file mode, kube mode, real kube-apiserver).
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { loadEcho } from './echo-server.ts';

export const ECHO_XDS_TARGET = 'xds:///echo.default.svc.cluster.local:7070';

/** One call's outcome: the answering backend's name, or the gRPC status code. */
export interface EchoCall {
  server?: string;
  code: number;
}

export interface ProxylessEchoClient {
  call(metadata?: Record<string, string>): Promise<EchoCall>;
  /** One call's answering backend, or `status:<code>`. */
  server(metadata?: Record<string, string>): Promise<string>;
  /** `n` calls in a row, counted by backend name (`status:<code>` for failures). */
  tally(n: number, metadata?: Record<string, string>): Promise<Record<string, number>>;
  close(): void;
}

/** Points grpc-js-xds at pilot's plaintext xDS port and opens a client of `target`. */
export function proxylessEchoClient(
  xdsPort: number,
  target: string = ECHO_XDS_TARGET,
  nodeId = 'sidecar~127.0.0.1~client.default~default.svc.cluster.local',
): ProxylessEchoClient {
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: { id: nodeId, metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' }, locality: {} },
  });
  grpcXds.register();
  const client = new (loadEcho().Echo)(target, grpc.credentials.createInsecure());
  const call = (metadata: Record<string, string> = {}): Promise<EchoCall> => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise((resolve) => {
      client.Call(
        {},
        md,
        { deadline: Date.now() + 5000 },
        (err: grpc.ServiceError | null, res?: { server: string }) =>
          resolve(err ? { code: err.code } : { server: res!.server, code: 0 }),
      );
    });
  };
  const server = async (metadata: Record<string, string> = {}): Promise<string> => {
    const r = await call(metadata);
    return r.code === 0 ? r.server! : `status:${r.code}`;
  };
  return {
    call,
    server,
    async tally(n, metadata = {}) {
      const counts: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const key = await server(metadata);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    close: () => client.close(),
  };
}
