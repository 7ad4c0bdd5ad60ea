// The stats port serves the proxy's Prometheus text over real HTTP, and nothing else.
import { describe, expect, it } from 'vitest';
import { startStatsServer } from '../../../sidecar/telemetry/stats-server.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import { nodeId, nodeMetadata, record } from './support/records.ts';

describe('stats port', () => {
  it('serves /stats/prometheus with the istio metrics and 404 elsewhere', async () => {
    const t = new Telemetry({
      node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
    });
    t.onRequestComplete(record({ direction: 'inbound', cluster: 'inbound|9080||', code: 200 }));
    const s = await startStatsServer({ render: t.prometheus, port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/stats/prometheus`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toMatch(/^istio_requests_total\{reporter="destination".*\} 1$/m);
      expect((await fetch(`http://127.0.0.1:${s.port}/stats`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('answers 500 and reports when rendering fails', async () => {
    const errors: string[] = [];
    const s = await startStatsServer({
      render: () => {
        throw new Error('boom');
      },
      port: 0,
      host: '127.0.0.1',
      onError: (l) => errors.push(l),
    });
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/stats/prometheus`)).status).toBe(500);
      expect(errors).toEqual(['stats server: boom']);
    } finally {
      await s.close();
    }
  });
});
