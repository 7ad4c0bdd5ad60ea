// A running mesh for the operator-tool tests: pilot in file mode on a temp copy
// of samples/mesh (ports 0), and real agents (the proxy's xDS client and admin
// API) connected to it over ADS, each feeding a recording data plane. One agent
// refuses listeners, as a data path refuses one it cannot bind, so pilot
// records a NACK.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../../api/envoy/registry.ts';
import { startPilot, type RunningPilot } from '../../../pilot/main.ts';
import { startAgent, type Agent } from '../../../sidecar/agent/agent.ts';
import { LogRegistry } from '../../../sidecar/agent/log.ts';
import { RecordingDataPlane } from '../../sidecar/agent/support/recording-data-plane.ts';

export const REFUSAL =
  'listener virtualOutbound: cannot bind 0.0.0.0:15001: address already in use';

export interface Mesh {
  pilot: RunningPilot;
  /** reviews-v1.default: takes everything. */
  reviews: Agent;
  /** productpage-v1.default: refuses every listener set. */
  productpage: Agent;
  pilotAddress: string;
  adminAddress(agent: Agent): string;
  close(): Promise<void>;
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function agent(
  xdsAddress: string,
  pod: string,
  ip: string,
  labels: Record<string, string>,
  refuse = false,
): Promise<Agent> {
  const dataPlane = new RecordingDataPlane();
  if (refuse) dataPlane.refuse = (typeUrl) => (typeUrl === TypeUrl.Listener ? [REFUSAL] : []);
  return startAgent({
    xdsAddress,
    dataPlane,
    identity: { podName: pod, namespace: 'default', ips: [ip], labels, env: {} },
    adminPort: 0,
    statusPort: 0,
    healthPort: 0,
    probeHost: '127.0.0.1',
    handleSignals: false,
    logs: new LogRegistry({ level: 'error', sink: () => {} }),
  });
}

export async function startMesh(): Promise<Mesh> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-operator-'));
  cpSync('samples/mesh', dir, { recursive: true });
  const pilot = await startPilot({
    configDir: dir,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 10,
    debounceMaxMs: 100,
    log: quiet,
  });
  const xds = `127.0.0.1:${pilot.xdsPort}`;
  const reviews = await agent(xds, 'reviews-v1', '127.0.1.3', { app: 'reviews', version: 'v1' });
  const productpage = await agent(
    xds,
    'productpage-v1',
    '127.0.1.1',
    { app: 'productpage', version: 'v1' },
    true,
  );
  return {
    pilot,
    reviews,
    productpage,
    pilotAddress: `127.0.0.1:${pilot.monitoringPort}`,
    adminAddress: (a) => `127.0.0.1:${a.admin.port}`,
    async close() {
      for (const a of [reviews, productpage]) {
        await a.xds.close();
        for (const s of [a.admin, a.health, a.status]) await s.close();
      }
      await pilot.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds, so a test waits for a push or an ACK instead of sleeping blindly. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
