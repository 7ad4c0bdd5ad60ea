// Readiness over real HTTP: 503 until the first full config is applied, 200
// after, 503 again once draining starts; the status port's metrics hook.
import { afterEach, describe, expect, it } from 'vitest';
import { Readiness, startHealthServer, startStatusServer } from '../../../sidecar/agent/health.ts';
import type { ListeningServer } from '../../../sidecar/agent/http-listen.ts';
import { assignment, edsCluster, httpListener, routeConfig } from './support/fixtures.ts';
import { CDS, EDS, LDS, RDS, REVIEWS, startHarness, type Harness } from './support/harness.ts';

let h: Harness | undefined;
const servers: ListeningServer[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const s of servers.splice(0)) await s.close();
});

async function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text() };
}

describe('health server', () => {
  it('answers /healthz/ready 200 only after CDS, EDS, LDS and the referenced RDS are applied', async () => {
    h = await startHarness();
    const readiness = new Readiness(h.client);
    const health = await startHealthServer({ readiness, port: 0, host: '127.0.0.1' });
    servers.push(health);
    const ready = () => get(health.port, '/healthz/ready');

    const first = await ready();
    expect(first.status).toBe(503);
    expect(first.body).toContain('cds updates: 0 successful, 0 rejected');

    await h.server.next();
    h.server.sendSotw(CDS, 'c1', [edsCluster(REVIEWS)]);
    await h.server.until((r) => r.typeUrl === EDS && r.nonce === '');
    expect((await ready()).body).toContain(`waiting for EDS ${REVIEWS}`);
    h.server.sendSotw(EDS, 'e1', [assignment(REVIEWS, ['10.0.0.1'], 9080)]);
    await h.server.until((r) => r.typeUrl === LDS && r.nonce === '');
    expect((await ready()).status).toBe(503);
    h.server.sendSotw(LDS, 'l1', [httpListener(9080, '9080')]);
    await h.server.until((r) => r.typeUrl === RDS && r.nonce === '');
    const waitingForRoutes = await ready();
    expect(waitingForRoutes.status).toBe(503);
    expect(waitingForRoutes.body).toContain('waiting for RDS 9080');
    h.server.sendSotw(RDS, 'r1', [routeConfig('9080', REVIEWS)]);
    await h.client.whenInitialized();
    expect(await ready()).toEqual({ status: 200, body: '' });

    readiness.startDraining();
    expect(await ready()).toMatchObject({ status: 503, body: 'not ready: proxy is draining\n' });
    expect((await get(health.port, '/other')).status).toBe(404);
  });

  it('serves readiness, the metrics hook and POST /quitquitquit on the status port', async () => {
    let quits = 0;
    const readiness = new Readiness({ initialized: () => true, notReadyReason: () => '' });
    const status = await startStatusServer({
      readiness,
      port: 0,
      host: '127.0.0.1',
      metrics: () => '# TYPE istio_requests_total counter\nistio_requests_total 1\n',
      quit: () => quits++,
    });
    servers.push(status);
    expect((await get(status.port, '/healthz/ready')).status).toBe(200);
    expect((await get(status.port, '/stats/prometheus')).body).toContain('istio_requests_total 1');
    expect((await get(status.port, '/quitquitquit')).status).toBe(405);
    expect(quits).toBe(0);
    expect((await get(status.port, '/quitquitquit', 'POST')).status).toBe(200);
    expect(quits).toBe(1);
  });

  it('answers 404 for /stats/prometheus when no telemetry is plugged in, and names a taken port', async () => {
    const readiness = new Readiness({ initialized: () => false, notReadyReason: () => 'x' });
    const status = await startStatusServer({ readiness, port: 0, host: '127.0.0.1' });
    servers.push(status);
    expect((await get(status.port, '/stats/prometheus')).status).toBe(404);
    await expect(
      startHealthServer({ readiness, port: status.port, host: '127.0.0.1' }),
    ).rejects.toMatchObject({
      code: 'PETREL_AGENT_LISTEN',
      message: `health server: cannot listen on 127.0.0.1:${status.port}: EADDRINUSE`,
    });
  });
});
