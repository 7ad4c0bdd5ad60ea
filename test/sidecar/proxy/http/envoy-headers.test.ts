import { describe, expect, it } from 'vitest';
import {
  stripResponseHopByHop,
  upstreamRequestHeaders,
} from '../../../../sidecar/proxy/http/envoy-headers.ts';
import type { HeaderMap } from '../../../../sidecar/proxy/upstream/types.ts';

describe('request headers that go upstream', () => {
  it('drops host, expect and hop-by-hop headers, in the original order, without touching the input', () => {
    const raw: HeaderMap = {
      host: 'example.com',
      'user-agent': 'wrk',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'x',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'http2-settings': 'AAA',
      expect: '100-continue',
      accept: '*/*',
    };
    const copy = { ...raw };
    const out = upstreamRequestHeaders(raw, 'h1');
    expect(Object.keys(out)).toEqual(['user-agent', 'accept']);
    expect(raw).toEqual(copy);
  });

  it('drops the headers the connection header names, except te', () => {
    const out = upstreamRequestHeaders(
      {
        connection: 'X-Private, te , , close',
        'x-private': '1',
        close: 'y',
        te: 'trailers',
        a: 'b',
      },
      'h1',
    );
    expect(out).toEqual({ te: 'trailers', a: 'b' });
  });

  it('keeps te only as "trailers" (any case)', () => {
    expect(upstreamRequestHeaders({ te: 'Trailers' }, 'h1')).toEqual({ te: 'Trailers' });
    expect(upstreamRequestHeaders({ te: 'gzip' }, 'h1')).toEqual({});
  });

  it('drops HTTP/2 pseudo-headers', () => {
    const out = upstreamRequestHeaders(
      {
        ':method': 'GET',
        ':path': '/',
        ':authority': 'a',
        ':scheme': 'http',
        ':protocol': 'websocket',
        'content-type': 'application/grpc',
      },
      'h2',
    );
    expect(out).toEqual({ 'content-type': 'application/grpc' });
  });

  it('keeps upgrade (also when the connection header names it) on an Upgrade request', () => {
    const out = upstreamRequestHeaders(
      { host: 'h', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' },
      'upgrade',
    );
    expect(out).toEqual({ upgrade: 'websocket', 'sec-websocket-key': 'k' });
  });
});

describe('response headers that go downstream', () => {
  it('returns the same map when it has no hop-by-hop header', () => {
    const h: HeaderMap = { 'content-type': 'text/plain', 'content-length': '3' };
    expect(stripResponseHopByHop(h)).toBe(h);
  });

  it('copies without hop-by-hop headers, te and what connection names', () => {
    const h: HeaderMap = {
      server: 'nginx',
      connection: 'keep-alive, X-Hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      etag: '"e"',
    };
    const copy = { ...h };
    const out = stripResponseHopByHop(h);
    expect(Object.keys(out)).toEqual(['server', 'etag']);
    expect(h).toEqual(copy);
  });

  it('copies when a hop-by-hop header comes without a connection header', () => {
    const h: HeaderMap = { a: '1', 'transfer-encoding': 'chunked' };
    const out = stripResponseHopByHop(h);
    expect(out).not.toBe(h);
    expect(out).toEqual({ a: '1' });
  });
});
