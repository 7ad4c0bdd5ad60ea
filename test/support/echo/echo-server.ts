// A real gRPC echo backend for end-to-end tests (@grpc/grpc-js on a real port).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('./echo.proto', import.meta.url));

export interface EchoPackage {
  Echo: grpc.ServiceClientConstructor;
}

export function loadEcho(): EchoPackage {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
  return (grpc.loadPackageDefinition(def) as unknown as { petrel: { test: EchoPackage } }).petrel
    .test;
}

export interface EchoServer {
  name: string;
  host: string;
  port: number;
  calls: number;
  close(): Promise<void>;
}

export async function startEchoServer(name: string, host = '127.0.0.1'): Promise<EchoServer> {
  const server = new grpc.Server();
  const state: EchoServer = {
    name,
    host,
    port: 0,
    calls: 0,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  server.addService(loadEcho().Echo.service, {
    Call(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      state.calls++;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
      callback(null, { server: name, headers });
    },
  });
  state.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  return state;
}
