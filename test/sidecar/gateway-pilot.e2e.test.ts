// End to end: Petrel's own proxy in router role, configured only by a real pilot
// in file mode over ADS, serves real HTTP traffic to real backends as the Istio
// YAML says — and follows an edit of that YAML.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startGatewayUnderPilot,
  type GatewayUnderPilot,
  httpGatewayYaml,
} from '../support/mesh/gateway-under-pilot.ts';
import { httpWorkloadsYaml } from '../support/mesh/http-workloads.ts';
import { httpBackend, send, type Backend } from './proxy/support/backends.ts';

let dir: string;
let mesh: GatewayUnderPilot;
let gatewayPort: number;
const backends: Backend[] = [];

function gatewayYaml(routes: string): string {
  return httpGatewayYaml(gatewayPort, routes);
}

const ROUTES = `
    - match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: web, subset: v2 } }]
    - match: [{ uri: { prefix: /only-gateways }, sourceLabels: { istio: ingressgateway } }]
      route: [{ destination: { host: web, subset: v2 } }]
    - match: [{ uri: { prefix: /broken } }]
      fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
      route: [{ destination: { host: web, subset: v1 } }]
    - match: [{ uri: { prefix: /moved } }]
      redirect: { uri: /new-home, redirectCode: 308 }
    - route:
        - { destination: { host: web, subset: v1 }, weight: 75 }
        - { destination: { host: web, subset: v2 }, weight: 25 }
      headers: { response: { set: { x-mesh: petrel } } }
`;

async function tally(
  n: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await send(`http://127.0.0.1:${gatewayPort}${path}`, { headers });
    const key = r.status === 200 ? String(r.headers['x-backend']) : `status:${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-gw-e2e-'));
  gatewayPort = await freePort();
  for (const v of ['v1', 'v2']) backends.push(await httpBackend(`web-${v}`));
  writeFileSync(
    join(dir, 'web.yaml'),
    httpWorkloadsYaml(
      'web',
      8000,
      backends.map((b, i) => ({ version: `v${i + 1}`, port: b.port })),
    ),
  );
  writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(ROUTES));
  mesh = await startGatewayUnderPilot(dir);
});

afterAll(async () => {
  await mesh?.stop();
  await Promise.all(backends.map((b) => b.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe("Petrel's gateway configured by pilot", () => {
  it('splits by weight and sets the configured response header', async () => {
    const counts = await tally(400);
    expect(Object.keys(counts).sort()).toEqual(['web-v1', 'web-v2']);
    // 75/25 over 400: sd ≈ 8.7; ±40 is over 4.5 sd.
    expect(counts['web-v1']).toBeGreaterThan(300 - 40);
    expect(counts['web-v1']).toBeLessThan(300 + 40);
    expect((await send(`http://127.0.0.1:${gatewayPort}/`)).headers['x-mesh']).toBe('petrel');
  });

  it('routes a header match to its subset', async () => {
    expect(await tally(20, '/', { 'end-user': 'jason' })).toEqual({ 'web-v2': 20 });
  });

  it("matches sourceLabels against the gateway's own labels, which reached pilot in the node metadata", async () => {
    expect(await tally(10, '/only-gateways/x')).toEqual({ 'web-v2': 10 });
  });

  it('injects the configured fault and redirects', async () => {
    expect(await tally(5, '/broken')).toEqual({ 'status:418': 5 });
    const moved = await send(`http://127.0.0.1:${gatewayPort}/moved/a`);
    expect(moved.status).toBe(308);
    expect(moved.headers.location).toMatch(/\/new-home$/);
  });

  // How fast a push converges is bench/pilot's business; here only that it does.
  it('follows an edit of the YAML', async () => {
    writeFileSync(
      join(dir, 'gateway.yaml'),
      gatewayYaml(`    - route: [{ destination: { host: web, subset: v2 } }]\n`),
    );
    const start = Date.now();
    while (Date.now() - start < 10_000 && (await tally(5))['web-v2'] !== 5)
      await new Promise((r) => setTimeout(r, 20));
    expect(await tally(40)).toEqual({ 'web-v2': 40 });
  });
});
