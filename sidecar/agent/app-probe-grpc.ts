// A grpc probe, as the kubelet runs it (k8s pkg/probe/grpc): one plaintext
// grpc.health.v1.Health/Check for `service` ("" = the server as a whole) within
// the timeout; SERVING passes, anything else (another status, a gRPC error such
// as UNIMPLEMENTED or NOT_FOUND, no answer) fails.
//
// The call is made over node:http2 rather than a @grpc/grpc-js client because it
// must leave from the passthrough source (app-probe-target.ts) and grpc-js opens
// its sockets itself with no way to bind a local address (pilot-agent uses grpc-go's
// custom dialer for the same reason). Only the framing of one unary call is written
// here; the messages are (de)serialized by the grpc-health-check package's own
// definition of the service, and the tests call a real grpc-js health server.
import { connect as connectHttp2 } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import { connect } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ProbeResult, ProbeTarget } from './app-probers.ts';
import { hostPort } from './app-probe-target.ts';

interface CheckMethod {
  path: string;
  requestSerialize(value: { service: string }): Buffer;
  responseDeserialize(bytes: Buffer): { status?: string };
}

let checkMethod: Promise<CheckMethod> | undefined;
/** Loaded on the first gRPC probe: most pods have none, and the package parses its .proto on load. */
function healthCheck(): Promise<CheckMethod> {
  checkMethod ??= import('grpc-health-check').then(
    (m) => m.service.Check as unknown as CheckMethod,
  );
  return checkMethod;
}

/** One gRPC Length-Prefixed-Message: uncompressed flag, 4-byte big-endian length, bytes. */
function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

function grpcFailure(headers: IncomingHttpHeaders, service: string): string | undefined {
  const code = Number(headers['grpc-status']);
  if (code === GrpcStatus.OK) return undefined;
  if (code === GrpcStatus.UNIMPLEMENTED)
    return 'server does not implement the grpc health protocol (grpc.health.v1.Health)';
  if (code === GrpcStatus.NOT_FOUND) return `service "${service}" unknown to the health server`;
  let message = String(headers['grpc-message'] ?? '');
  try {
    message = decodeURIComponent(message);
  } catch {
    // grpc-message is percent-encoded; a malformed one is shown as sent
  }
  return `${GrpcStatus[code] ?? `status ${String(headers['grpc-status'])}`}: ${message}`;
}

export async function grpcProbe(
  target: ProbeTarget,
  service: string,
  timeoutMs: number,
  userAgent: string | undefined,
): Promise<ProbeResult> {
  const check = await healthCheck();
  const where = `grpc ${hostPort(target.host, target.port)}`;
  return new Promise((resolve) => {
    let settled = false;
    const session = connectHttp2(`http://${hostPort(target.host, target.port)}`, {
      createConnection: () =>
        connect({
          host: target.host,
          port: target.port,
          ...(target.source ? { localAddress: target.source } : {}),
        }),
    });
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(
        error ? { status: 500, body: '', error: `${where}: ${error}` } : { status: 200, body: '' },
      );
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    session.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    const stream = session.request({
      ':method': 'POST',
      ':path': check.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
      // The kubelet's User-Agent, as pilot-agent passes it on.
      ...(userAgent ? { 'user-agent': userAgent } : {}),
    });
    const chunks: Buffer[] = [];
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    stream.on('close', () => {
      if (Number(headers[':status']) !== 200)
        return finish(`HTTP ${String(headers[':status'])}, not gRPC`);
      // A trailers-only answer (errors) carries grpc-status in the headers.
      const end = trailers ?? headers;
      if (end['grpc-status'] === undefined) return finish('no grpc-status in the answer');
      const failure = grpcFailure(end, service);
      if (failure) return finish(failure);
      const body = Buffer.concat(chunks);
      if (body.length < 5 || body[0] !== 0) return finish('no uncompressed response message');
      const reply = check.responseDeserialize(body.subarray(5, 5 + body.readUInt32BE(1)));
      finish(reply.status === 'SERVING' ? undefined : `health status ${reply.status ?? 'UNKNOWN'}`);
    });
    stream.end(frame(check.requestSerialize({ service })));
  });
}
