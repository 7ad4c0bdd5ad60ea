// End to end: a real proxyless gRPC client (@grpc/grpc-js + @grpc/grpc-js-xds)
// bootstrapped against a real pilot in file mode calls real gRPC echo servers,
// and everything it does is decided by the Istio YAML pilot translated.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startEchoServer, type EchoServer } from '../support/echo/echo-server.ts';
import { metricValue } from '../support/mesh/two-hop-telemetry.ts';
import { proxylessEchoClient, type ProxylessEchoClient } from '../support/echo/proxyless-client.ts';
import {
  ECHO_ROUTES,
  ECHO_ALL_TO_V3,
  ECHO_INVALID_WEIGHT,
  echoWorkloadsYaml,
} from '../support/echo/mesh-yaml.ts';

let dir: string;
let pilot: RunningPilot;
const backends: EchoServer[] = [];
let echo: ProxylessEchoClient;

function writeRoutes(yaml: string): void {
  writeFileSync(join(dir, 'routes.yaml'), yaml);
} /** Polls until `check` holds, so a test waits for a config push instead of sleeping blindly. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-'));
  for (const v of ['v1', 'v2', 'v3']) backends.push(await startEchoServer(`echo-${v}`));
  writeFileSync(
    join(dir, 'echo.yaml'),
    echoWorkloadsYaml(
      'echo',
      7070,
      backends.map((b, i) => ({ version: `v${i + 1}`, port: b.port })),
    ),
  );
  writeRoutes(ECHO_ROUTES);
  pilot = await startPilot({
    configDir: dir,
    xdsPort: 0,
    monitoringPort: 0,
    host: '127.0.0.1',
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  // Not at 127.0.0.1: the backends' address there would make the client one of
  // their workloads, whose own endpoint changes pilot pushes in full.
  echo = proxylessEchoClient(
    pilot.xdsPort,
    undefined,
    'sidecar~10.1.0.1~client.default~default.svc.cluster.local',
  );
});

afterAll(async () => {
  echo?.close();
  await pilot?.stop();
  await Promise.all(backends.map((b) => b.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('proxyless gRPC through pilot-served xDS', () => {
  it('reports ready on the monitoring port once the first push is built', async () => {
    const res = await fetch(`http://127.0.0.1:${pilot.monitoringPort}/ready`);
    expect(res.status).toBe(200);
  });

  it('splits traffic by VirtualService weights within tolerance', async () => {
    const counts = await echo.tally(300);
    expect(Object.keys(counts).sort()).toEqual(['echo-v1', 'echo-v3']);
    // 80/20 over 300 calls: a binomial sd of ~7, so ±30 is over 4 sd.
    expect(counts['echo-v1']).toBeGreaterThan(240 - 30);
    expect(counts['echo-v1']).toBeLessThan(240 + 30);
  });

  it('routes a header match to its subset only', async () => {
    expect(await echo.tally(40, { 'end-user': 'jason' })).toEqual({ 'echo-v2': 40 });
  });

  it('returns the configured fault abort as a gRPC status', async () => {
    // HTTP 503 maps to gRPC UNAVAILABLE (14), per gRPC's HTTP-to-gRPC status mapping.
    expect(await echo.tally(5, { 'x-fault': 'abort' })).toEqual({ 'status:14': 5 });
    expect(backends[0]!.calls).toBeGreaterThan(0);
  });

  // How fast is bench/pilot's question (push latency); here only that the edit lands.
  it('reroutes live traffic after a YAML edit', async () => {
    writeRoutes(ECHO_ALL_TO_V3);
    await eventually(async () => {
      const counts = await echo.tally(10);
      return counts['echo-v3'] === 10;
    }, 10_000);
    expect(await echo.tally(50)).toEqual({ 'echo-v3': 50 });
  });

  it('keeps serving the last good config when an edit is invalid', async () => {
    writeRoutes(ECHO_INVALID_WEIGHT);
    await new Promise((r) => setTimeout(r, 400));
    expect(await echo.tally(20)).toEqual({ 'echo-v3': 20 });
    expect(
      pilot.diagnostics().some((d) => d.includes('spec.http[0].route[0].weight: must be 0..100')),
    ).toBe(true);
  });

  // An endpoint-only edit travels as an incremental EDS push; the client must follow it.
  it('follows an endpoint moved by an EndpointSlice edit', async () => {
    const workloads = echoWorkloadsYaml(
      'echo',
      7070,
      backends.map((b, i) => ({ version: `v${i + 1}`, port: b.port })),
    );
    const moved = await startEchoServer('echo-moved');
    backends.push(moved);
    const slice = (port: number) => `ports: [{ name: grpc, port: ${port}, protocol: TCP }]`;
    expect(workloads).toContain(slice(backends[2]!.port));
    const cdsPushes = () =>
      metricValue(`http://127.0.0.1:${pilot.monitoringPort}/metrics`, 'pilot_xds_pushes', {
        type: 'cds',
      });
    const before = await cdsPushes();
    // echo-v3's slice now points at another server; the pods are unchanged.
    writeFileSync(
      join(dir, 'echo.yaml'),
      workloads.replace(slice(backends[2]!.port), slice(moved.port)),
    );
    await eventually(async () => (await echo.tally(10))['echo-moved'] === 10, 10_000);
    expect(await echo.tally(30)).toEqual({ 'echo-moved': 30 });
    // It came as EDS alone: no cluster was pushed again.
    expect(await cdsPushes()).toBe(before);
  });
});
