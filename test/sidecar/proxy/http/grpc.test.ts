import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { h2Backend, httpBackend, send, type Backend } from '../support/backends.ts';
import {
  HTTP2_OPTIONS,
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  vhost,
} from '../support/envoy.ts';

const id = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: id,
  requestDeserialize: id,
  responseSerialize: id,
  responseDeserialize: id,
});
const service = {
  echo: method('Echo', false, false),
  fail: method('Fail', false, false),
  chat: method('Chat', true, true),
} as unknown as grpc.ServiceDefinition;
const EchoClient = grpc.makeGenericClientConstructor(service, 'Echo');
type EchoClientT = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

describe('HTTP/2 and gRPC through the proxy', () => {
  let server: grpc.Server;
  let grpcPort: number;
  let h1: Backend;
  let h2: Backend;
  let dp: ProxyDataPlane;
  let port: () => number;
  let client: EchoClientT;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(service, {
      echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer', 'kept');
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]), trailer);
      },
      fail: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) =>
        cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
      chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (m: Buffer) => call.write(Buffer.concat([Buffer.from('re:'), m])));
        call.on('end', () => call.end());
      },
    });
    grpcPort = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    h1 = await httpBackend('h1');
    h2 = await h2Backend('h2');
    const p = await startProxy({
      clusters: [
        staticCluster('grpc', [['127.0.0.1', grpcPort]], HTTP2_OPTIONS),
        staticCluster('h1', [['127.0.0.1', h1.port]]),
        staticCluster('none', []),
        staticCluster('h2', [['127.0.0.1', h2.port]], HTTP2_OPTIONS),
      ],
      routes: [
        routeConfig('80', [
          vhost(
            'v',
            ['*'],
            [
              { match: { prefix: '/test.Echo/' }, route: { cluster: 'grpc', timeout: '0s' } },
              { match: { prefix: '/down.Svc/' }, route: { cluster: 'none' } },
              { match: { prefix: '/h2/' }, route: { cluster: 'h2' } },
              { match: { prefix: '/' }, route: { cluster: 'h1' } },
            ],
          ),
        ]),
      ],
      listeners: [
        httpListener('http', { rds: { route_config_name: '80', config_source: { ads: {} } } }),
      ],
    });
    dp = p.dp;
    port = () => p.port();
    client = new EchoClient(
      `127.0.0.1:${port()}`,
      grpc.credentials.createInsecure(),
    ) as unknown as EchoClientT;
  });
  afterAll(async () => {
    client?.close();
    dp?.close();
    server?.forceShutdown();
    await h1?.close();
    await h2?.close();
  });

  it('carries a unary call with its trailers', async () => {
    const { reply, trailer } = await new Promise<{ reply: Buffer; trailer: grpc.Metadata }>(
      (res, rej) => {
        let trailer = new grpc.Metadata();
        const call = client.echo(Buffer.from('hi'), (err: Error | null, reply: Buffer) =>
          err ? rej(err) : setImmediate(() => res({ reply, trailer })),
        ) as grpc.ClientUnaryCall;
        call.on('status', (s: grpc.StatusObject) => {
          trailer = s.metadata;
        });
      },
    );
    expect(reply.toString()).toBe('echo:hi');
    expect(trailer.get('x-trailer')).toEqual(['kept']);
  });

  it('passes a trailers-only error response', async () => {
    const err = await new Promise<grpc.ServiceError>((res) =>
      client.fail(Buffer.from('x'), (e: grpc.ServiceError) => res(e)),
    );
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no such thing');
  });

  it('streams both ways', async () => {
    const call = client.chat() as grpc.ClientDuplexStream<Buffer, Buffer>;
    const got: string[] = [];
    const done = new Promise<void>((res, rej) => {
      call.on('data', (m: Buffer) => got.push(m.toString()));
      call.on('end', res);
      call.on('error', rej);
    });
    for (const m of ['a', 'b', 'c']) call.write(Buffer.from(m));
    call.end();
    await done;
    expect(got).toEqual(['re:a', 're:b', 're:c']);
  });

  it('turns a local reply into a gRPC status', async () => {
    const down = new EchoClient(
      `127.0.0.1:${port()}`,
      grpc.credentials.createInsecure(),
      {},
    ) as unknown as EchoClientT;
    const path = '/down.Svc/Call';
    const err = await new Promise<grpc.ServiceError>((res) => {
      (down as unknown as grpc.Client).makeUnaryRequest(path, id, id, Buffer.from('x'), (e) =>
        res(e as grpc.ServiceError),
      );
    });
    down.close();
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toBe('no healthy upstream');
  });

  it('carries plain HTTP/2 and HTTP/1.1 requests to an HTTP/2 upstream', async () => {
    const viaH2 = await h2Get(port(), '/h2/a');
    expect(viaH2.status).toBe(200);
    expect(JSON.parse(viaH2.body)).toMatchObject({ backend: 'h2', protocol: 'h2', url: '/h2/a' });
    const viaH1 = await send(`http://127.0.0.1:${port()}/h2/b`);
    expect(viaH1.json()).toMatchObject({ backend: 'h2', url: '/h2/b' });
    expect(h2.seen.at(-1)?.headers[':authority']).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('serves h2c prior knowledge to an HTTP/1.1 upstream', async () => {
    const { status, body } = await h2Get(port(), '/plain?x=1', 'svc.local');
    expect(status).toBe(200);
    const seen = JSON.parse(body);
    expect(seen.url).toBe('/plain?x=1');
    expect(seen.headers.host).toBe('svc.local');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
  });
});

function h2Get(
  port: number,
  path: string,
  authority?: string,
): Promise<{ status: number; body: string }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  return new Promise<{ status: number; body: string }>((res, rej) => {
    const req = session.request({
      ':path': path,
      ...(authority ? { ':authority': authority } : {}),
    });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res({ status, body: Buffer.concat(chunks).toString() }));
    req.on('error', rej);
    req.end();
  }).finally(() => session.close());
}
