import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H1Responder } from '../../../../sidecar/proxy/http/downstream.ts';
import type { HeaderMap } from '../../../../sidecar/proxy/upstream/types.ts';

let server: http.Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** One request to a server whose handler drives an H1Responder; the response, fully read. */
async function exchange(drive: (r: H1Responder) => void): Promise<http.IncomingMessage> {
  server = http.createServer((_req, res) => drive(new H1Responder(res)));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
  });
}

describe('H1Responder', () => {
  it('sends every defined header once, repeated set-cookie lines apart, and skips undefined ones', async () => {
    const headers: HeaderMap = {
      'x-a': '1',
      'x-gone': undefined,
      'set-cookie': ['a=1', 'b=2'],
      'content-length': '2',
    };
    const res = await exchange((r) => {
      r.sendHeaders(201, headers, false);
      r.write(Buffer.from('ok'));
      r.end(null);
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-a']).toBe('1');
    expect('x-gone' in res.headers).toBe(false);
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.rawHeaders.filter((h) => h.toLowerCase() === 'x-a')).toHaveLength(1);
  });

  it('sends trailers on a chunked response but not after a content-length', async () => {
    const chunked = await exchange((r) => {
      r.sendHeaders(200, { 'content-type': 'text/plain' }, false);
      r.write(Buffer.from('x'));
      r.end({ 'grpc-status': '0' });
    });
    expect(chunked.trailers['grpc-status']).toBe('0');
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const sized = await exchange((r) => {
      r.sendHeaders(200, { 'content-length': '1' }, false);
      r.write(Buffer.from('x'));
      r.end({ 'grpc-status': '0' });
    });
    expect(sized.trailers['grpc-status']).toBeUndefined();
  });
});
