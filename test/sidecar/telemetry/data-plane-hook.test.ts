// Telemetry on the data path's onRequestComplete hook, with real traffic through a
// ProxyDataPlane: HTTP requests and a TCP connection show up in istio_* metrics and
// in the access log, as the proxy records them today (before the per-request header
// hooks are wired).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import { httpBackend, send, type Backend } from '../proxy/support/backends.ts';
import {
  httpListener,
  routeConfig,
  startProxy,
  staticCluster,
  tcpListener,
  toCluster,
  vhost,
} from '../proxy/support/envoy.ts';
import { nodeId, nodeMetadata } from './support/records.ts';

const HTTP_CLUSTER = 'outbound|80||a.default.svc.cluster.local';
const TCP_CLUSTER = 'outbound|3306||db.default.svc.cluster.local';

describe('telemetry on the data path hook', () => {
  let backend: Backend;
  let tcpServer: net.Server;
  let dp: ProxyDataPlane;
  let port: (l?: string) => number;
  const lines: string[] = [];
  let telemetry: Telemetry;

  beforeAll(async () => {
    backend = await httpBackend('a');
    tcpServer = net.createServer((s) =>
      s.on('data', (d: Buffer) => s.end(d)).on('error', () => {}),
    );
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    telemetry = new Telemetry({
      node: { id: nodeId('client', '10.0.0.4'), metadata: nodeMetadata('client', 'v1') },
      accessLog: {
        path: '/dev/stdout',
        write: (c) => lines.push(...c.split('\n').filter(Boolean)),
      },
    });
    const p = await startProxy(
      {
        clusters: [
          staticCluster(HTTP_CLUSTER, [['127.0.0.1', backend.port]]),
          staticCluster(TCP_CLUSTER, [
            ['127.0.0.1', (tcpServer.address() as net.AddressInfo).port],
          ]),
        ],
        routes: [routeConfig('80', [vhost('a', ['*'], [toCluster(HTTP_CLUSTER, '/ok')])])],
        listeners: [
          httpListener('http', { rds: { route_config_name: '80', config_source: { ads: {} } } }),
          tcpListener('tcp', { cluster: TCP_CLUSTER }),
        ],
      },
      { onRequestComplete: telemetry.onRequestComplete },
    );
    dp = p.dp;
    port = p.port;
  });

  afterAll(async () => {
    dp?.close();
    await backend?.close();
    tcpServer?.close();
    await telemetry?.close();
  });

  it('counts routed and unrouted requests and a TCP connection, and logs each', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await send(`http://127.0.0.1:${port('http')}/ok/${i}`, {
            headers: { host: 'a.default:80' },
          })
        ).status,
      ).toBe(200);
    expect((await send(`http://127.0.0.1:${port('http')}/nowhere`)).status).toBe(404);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port('tcp'), '127.0.0.1', () => s.write('ping'));
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    // The TCP record completes when the proxy sees both sides closed.
    for (
      let i = 0;
      i < 50 && !telemetry.prometheus().includes('istio_tcp_connections_closed_total');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setImmediate(r));

    const text = telemetry.prometheus();
    const ok = text
      .split('\n')
      .find((l) => l.startsWith('istio_requests_total{') && l.includes('response_code="200"'))!;
    expect(ok).toContain('reporter="source",source_workload="client-v1"');
    expect(ok).toContain(
      'destination_service="a.default.svc.cluster.local",destination_canonical_service="unknown"',
    );
    expect(ok).toMatch(/ 3$/);
    const nr = text
      .split('\n')
      .find((l) => l.startsWith('istio_requests_total{') && l.includes('response_code="404"'))!;
    expect(nr).toContain('response_flags="NR"');
    expect(text).toMatch(
      /istio_tcp_connections_opened_total\{reporter="source".*destination_service="db\.default\.svc\.cluster\.local".*request_protocol="tcp".*\} 1/,
    );
    expect(text).toMatch(/istio_tcp_sent_bytes_total\{.*\} 4\n/);

    expect(lines.filter((l) => l.includes(`"GET /ok/`))).toHaveLength(3);
    expect(lines.find((l) => l.includes('/nowhere'))).toMatch(/" 404 NR route_not_found /);
    expect(lines.find((l) => l.includes(TCP_CLUSTER))).toMatch(/^\[[^\]]+\] "- - -" 0 - /);
  });
});
