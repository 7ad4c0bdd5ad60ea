// Interop: grpc-go's own xDS client (google.golang.org/grpc/xds, built by
// test/interop/build-peers.sh) runs the same end-to-end checks as the grpc-js
// test against Petrel's pilot: weights, header match, fault abort, live reroute.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startEchoServer, type EchoServer } from '../support/echo/echo-server.ts';
import { ECHO_ALL_TO_V3, ECHO_ROUTES, echoWorkloadsYaml } from '../support/echo/mesh-yaml.ts';

const CLIENT = join(
  process.env.PETREL_INTEROP_CACHE ?? join(homedir(), '.cache/petrel-interop'),
  'bin/grpc-xds-client',
);
const TARGET = 'xds:///echo.default.svc.cluster.local:7070';
let dir: string;
let pilot: RunningPilot;
const backends: EchoServer[] = [];

interface CallResult {
  server: string;
  code: number;
  message: string;
}

function runClient(n: number, header?: string): Promise<Record<string, number>> {
  const bootstrap = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${pilot.xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: {
      id: 'sidecar~127.0.0.1~go-client.default~default.svc.cluster.local',
      metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' },
      locality: {},
    },
  });
  const args = ['-target', TARGET, '-n', String(n), ...(header ? ['-header', header] : [])];
  return new Promise((resolve, reject) => {
    execFile(
      CLIENT,
      args,
      { env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`grpc-xds-client failed: ${err.message}\n${stderr}`));
        const counts: Record<string, number> = {};
        for (const line of stdout.trim().split('\n')) {
          const r = JSON.parse(line) as CallResult;
          const key = r.code === 0 ? r.server : `status:${r.code}`;
          counts[key] = (counts[key] ?? 0) + 1;
        }
        resolve(counts);
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(CLIENT))
    throw new Error(
      `${CLIENT} is missing: run test/interop/build-peers.sh (npm run test:interop does)`,
    );
  dir = mkdtempSync(join(tmpdir(), 'petrel-interop-go-'));
  for (const v of ['v1', 'v2', 'v3']) backends.push(await startEchoServer(`echo-${v}`));
  writeFileSync(
    join(dir, 'echo.yaml'),
    echoWorkloadsYaml(
      'echo',
      7070,
      backends.map((b, i) => ({ version: `v${i + 1}`, port: b.port })),
    ),
  );
  writeFileSync(join(dir, 'routes.yaml'), ECHO_ROUTES);
  pilot = await startPilot({
    configDir: dir,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
});

afterAll(async () => {
  await pilot?.stop();
  await Promise.all(backends.map((b) => b.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('grpc-go xDS client through Petrel pilot', () => {
  it('splits traffic by VirtualService weights within tolerance', async () => {
    const counts = await runClient(300);
    expect(Object.keys(counts).sort()).toEqual(['echo-v1', 'echo-v3']);
    expect(counts['echo-v1']).toBeGreaterThan(210);
    expect(counts['echo-v1']).toBeLessThan(270);
  });

  it('routes a header match to its subset only', async () => {
    expect(await runClient(30, 'end-user=jason')).toEqual({ 'echo-v2': 30 });
  });

  it('returns the configured fault abort as a gRPC status', async () => {
    expect(await runClient(5, 'x-fault=abort')).toEqual({ 'status:14': 5 });
  });

  it('follows a YAML edit: a new client sees the new routes', async () => {
    writeFileSync(join(dir, 'routes.yaml'), ECHO_ALL_TO_V3);
    const deadline = Date.now() + 5000;
    let counts: Record<string, number> = {};
    while (Date.now() < deadline) {
      counts = await runClient(10);
      if (counts['echo-v3'] === 10) break;
    }
    expect(counts).toEqual({ 'echo-v3': 10 });
  });
});
