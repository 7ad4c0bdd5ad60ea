// Where the Petrel proxies send their spans during the benchmark: an OTLP/HTTP
// endpoint that accepts every export and counts it, so "tracing on" means spans
// really left the proxy (as they would for Jaeger), at the cost of one small
// HTTP server on the load core.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  url: string;
  exports(): number;
  /** Spans counted in JSON exports (protobuf exports are counted as exports only). */
  spans(): number;
  bytes(): number;
  close(): Promise<void>;
}

export function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  let bytes = 0;
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      if (req.method === 'POST') exports++;
      // An empty ExportTraceServiceResponse: full success, in the encoding the exporter used.
      const json = (req.headers['content-type'] ?? '').includes('json');
      if (json) spans += countSpans(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}/v1/traces`,
        exports: () => exports,
        spans: () => spans,
        bytes: () => bytes,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

interface ExportJson {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}

function countSpans(body: string): number {
  try {
    const j = JSON.parse(body) as ExportJson;
    let n = 0;
    for (const rs of j.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
    return n;
  } catch {
    return 0;
  }
}
