// pilot's monitoring HTTP server (istiod serves these on 15014): Prometheus
// metrics, and the debug endpoints `petrel proxy-status` / `proxy-config` read.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from './errors.ts';
import type { XdsServer } from './server.ts';
import type { PushSnapshot } from './types.ts';

export interface MonitoringServer {
  readonly port: number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function handle<Push extends PushSnapshot>(
  xds: XdsServer<Push>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: `${req.method} not allowed; use GET` });
    return;
  }
  switch (url.pathname) {
    // istiod answers /ready once its first push is built; pilot's first push is
    // dispatched before this server starts, so being up means being ready.
    case '/ready':
      res.writeHead(xds.currentPush() ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(xds.currentPush() ? 'ok\n' : 'no push yet\n');
      return;
    case '/metrics': {
      const text = await xds.metrics.text();
      res.writeHead(200, { 'content-type': xds.metrics.contentType });
      res.end(text);
      return;
    }
    case '/debug/syncz':
      sendJson(res, 200, xds.syncz());
      return;
    case '/debug/config_dump': {
      const proxyId = url.searchParams.get('proxyID');
      if (!proxyId) {
        sendJson(res, 400, {
          error: 'query parameter proxyID is required (full node id or pod.namespace)',
        });
        return;
      }
      const dump = xds.configDump(proxyId);
      if (!dump) sendJson(res, 404, { error: `proxy ${proxyId} is not connected` });
      else sendJson(res, 200, dump);
      return;
    }
    default:
      sendJson(res, 404, {
        error: `no endpoint ${url.pathname}; try /ready, /metrics, /debug/syncz, /debug/config_dump?proxyID=`,
      });
  }
}

/** Serves /metrics, /debug/syncz and /debug/config_dump for an ADS server on host:port (port 0 picks one). */
export async function startMonitoring<Push extends PushSnapshot>(
  xds: XdsServer<Push>,
  options: { port: number; host?: string },
): Promise<MonitoringServer> {
  const server: Server = createServer((req, res) => {
    handle(xds, req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: errorMessage(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
