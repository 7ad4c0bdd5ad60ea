// Real upstream servers for the data-path tests, on 127.0.0.1 ephemeral ports.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Backend {
  name: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** An HTTP/1.1 server that answers with JSON describing the request, or via `handler`. */
export async function httpBackend(name: string, handler?: Handler): Promise<Backend> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (handler) return handler(req, res, body);
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-backend', name);
      res.end(
        JSON.stringify({
          backend: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An h2c (prior knowledge) server with the same JSON answer. */
export async function h2Backend(name: string): Promise<Backend> {
  const seen: SeenRequest[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({
        method: String(headers[':method']),
        url: String(headers[':path']),
        headers: headers as http.IncomingHttpHeaders,
        body,
      });
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-backend': name });
      stream.end(JSON.stringify({ backend: name, protocol: 'h2', url: headers[':path'] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

const keepAlive = new Agent({ keepAliveTimeout: 1000, pipelining: 1 });
// pipelining 0 turns keep-alive off: one connection per request.
const oneShot = new Agent({ pipelining: 0 });

/** One HTTP/1.1 request through undici; connections are reused unless `fresh`. */
export async function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; fresh?: boolean } = {},
): Promise<Reply> {
  const res = await request(url, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body,
    dispatcher: opts.fresh ? oneShot : keepAlive,
  });
  const body = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers as Reply['headers'],
    body,
    json: () => JSON.parse(body),
  };
}

/**
 * A backend steered by request headers: `x-respond-status` (status to answer),
 * `x-delay-ms` (wait before answering), `x-fail-times` (answer 503 to the first N
 * attempts of one x-request-id). Answers JSON like httpBackend.
 */
export async function scriptedBackend(name: string): Promise<Backend> {
  const failures = new Map<string, number>();
  return httpBackend(name, (req, res, body) => {
    const h = req.headers;
    const respond = (): void => {
      const id = String(h['x-request-id'] ?? '');
      const failTimes = Number(h['x-fail-times'] ?? 0);
      const seen = failures.get(id) ?? 0;
      failures.set(id, seen + 1);
      const status = seen < failTimes ? 503 : Number(h['x-respond-status'] ?? 200);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-backend', name);
      res.end(JSON.stringify({ backend: name, url: req.url, headers: h, body, attempt: seen + 1 }));
    };
    const delay = Number(h['x-delay-ms'] ?? 0);
    if (delay > 0) setTimeout(respond, delay);
    else respond();
  });
}
