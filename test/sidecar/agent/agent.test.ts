// The agent wired together: readiness and admin follow the xDS client, and POST
// /quitquitquit drains, closes the stream and every port, and exits 0.
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '../../../sidecar/agent/agent.ts';
import { LogRegistry } from '../../../sidecar/agent/log.ts';
import { ScriptedAdsServer } from './support/ads-server.ts';
import { assignment, edsCluster, httpListener, routeConfig } from './support/fixtures.ts';
import { CDS, EDS, LDS, RDS, REVIEWS } from './support/harness.ts';
import { RecordingDataPlane } from './support/recording-data-plane.ts';

let server: ScriptedAdsServer;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.xds.close();
  for (const s of agent ? [agent.admin, agent.health, agent.status] : []) await s.close();
  await server.stop();
});

describe('startAgent', () => {
  it('becomes ready with the first full config and drains on POST /quitquitquit', async () => {
    server = await ScriptedAdsServer.start();
    const dataPlane = new RecordingDataPlane();
    let finishInFlight = () => {};
    dataPlane.drainImpl = () => new Promise<void>((resolve) => (finishInFlight = resolve));
    const exits: number[] = [];
    agent = await startAgent({
      xdsAddress: server.address,
      dataPlane,
      identity: { podName: 'p', namespace: 'ns', ips: ['10.0.0.3'], env: {} },
      adminPort: 0,
      statusPort: 0,
      healthPort: 0,
      probeHost: '127.0.0.1',
      drainDurationMs: 10_000,
      logs: new LogRegistry({ sink: () => {} }),
      exit: (code) => exits.push(code),
      handleSignals: false,
    });
    const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
    expect((await fetch(url(agent.health.port, '/healthz/ready'))).status).toBe(503);

    const first = await server.next();
    expect(first.node?.id).toBe('sidecar~10.0.0.3~p.ns~ns.svc.cluster.local');
    server.sendSotw(CDS, '1', [edsCluster(REVIEWS)]);
    await server.until((r) => r.typeUrl === EDS);
    server.sendSotw(EDS, '1', [assignment(REVIEWS, ['10.0.0.1'], 9080)]);
    await server.until((r) => r.typeUrl === LDS && r.nonce === '');
    server.sendSotw(LDS, '1', [httpListener(9080, '9080')]);
    await server.until((r) => r.typeUrl === RDS && r.nonce === '');
    server.sendSotw(RDS, '1', [routeConfig('9080', REVIEWS)]);
    await agent.xds.whenInitialized();
    expect((await fetch(url(agent.health.port, '/healthz/ready'))).status).toBe(200);
    expect((await fetch(url(agent.status.port, '/healthz/ready'))).status).toBe(200);
    expect(await (await fetch(url(agent.admin.port, '/ready'))).text()).toBe('LIVE\n');
    const dump = (await (await fetch(url(agent.admin.port, '/config_dump'))).json()) as any;
    expect(dump.configs[0].bootstrap.admin.address.socket_address).toEqual({
      address: '127.0.0.1',
      port_value: agent.admin.port,
    });

    expect((await fetch(url(agent.admin.port, '/quitquitquit'), { method: 'POST' })).status).toBe(
      200,
    );
    expect(await (await fetch(url(agent.admin.port, '/ready'))).text()).toBe('DRAINING\n');
    expect((await fetch(url(agent.health.port, '/healthz/ready'))).status).toBe(503);
    finishInFlight();
    await agent.lifecycle.shutdown('again');
    expect(exits).toEqual([0]);
    expect(dataPlane.events).toEqual(['drain', 'drained', 'close']);
    await expect(fetch(url(agent.health.port, '/healthz/ready'))).rejects.toThrow();
    expect(agent.xds.status().connected).toBe(false);
  });
});
