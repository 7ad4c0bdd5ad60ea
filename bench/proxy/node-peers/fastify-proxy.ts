// The Node reference peer: fastify with @fastify/http-proxy (upstream through
// @fastify/reply-from's undici pool, keep-alive on both sides), no logger.
// Usage: node fastify-proxy.ts PORT UPSTREAM_HOST:PORT
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) {
  console.error('usage: node fastify-proxy.ts PORT UPSTREAM_HOST:PORT');
  process.exit(2);
}
const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream: `http://${upstream}`,
  undici: { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 },
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
