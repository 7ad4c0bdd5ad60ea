// The minimal Node pass-through Petrel's throughput target is set against:
// node:http downstream, an undici Pool upstream (keep-alive), hop-by-hop headers
// dropped both ways, nothing else. No routing, no retries, no telemetry.
// Usage: node passthrough.ts PORT UPSTREAM_HOST:PORT
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) {
  console.error('usage: node passthrough.ts PORT UPSTREAM_HOST:PORT');
  process.exit(2);
}
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function endToEnd(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const pool = new Pool(`http://${upstream}`, { connections: 64, keepAliveTimeout: 60_000 });
const server = createServer((req, res) => {
  const bodyless = req.method === 'GET' || req.method === 'HEAD';
  pool
    .request({
      path: req.url ?? '/',
      method: req.method as 'GET',
      headers: endToEnd(req.headers),
      body: bodyless ? null : req,
    })
    .then(
      (up) => {
        res.writeHead(up.statusCode, endToEnd(up.headers));
        up.body.pipe(res);
      },
      () => {
        res.writeHead(502).end();
      },
    );
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => void pool.close().then(() => process.exit(0))));
