// A real Prometheus (Debian's `prometheus` package) scrapes the stats ports of
// Petrel's gateway and sidecar (the two-hop mesh of the telemetry e2e test) every
// second: both targets must be up (Prometheus accepts the exposition, histograms
// and envoy_* stats included), and PromQL over Istio's metric names must give the
// numbers the traffic made — what Istio's dashboards and Kiali query.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../sidecar/proxy/support/backends.ts';
import { freePort } from '../support/mesh/gateway-under-pilot.ts';
import { startTwoHopMesh, type TwoHopMesh } from '../support/mesh/two-hop-telemetry.ts';

const POD_IP = '127.0.71.13';
const APT_LINE = 'apt-get install -y --no-install-recommends prometheus';

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

let mesh: TwoHopMesh | undefined;
let prometheus: ChildProcess | undefined;
let promUrl: string;
let dir: string | undefined;
let promLog = '';

function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!found)
    throw new Error(
      `the interop suite needs Prometheus and it is not installed here: ${APT_LINE} (Debian 12 ships 2.42)`,
    );
  return found;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
  return body.data;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\nprometheus log:\n${promLog.slice(-2000)}`,
  );
}

async function query(promql: string): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: VectorSample[] }>(
    `/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  return data.result;
}

/** `{label values joined by /: value}` of an instant vector, for exact comparisons. */
function table(result: VectorSample[], labels: string[]): Record<string, number> {
  return Object.fromEntries(
    result.map((r) => [labels.map((l) => r.metric[l]).join('/'), Number(r.value[1])]),
  );
}

/** The query's table once it equals `expected`; its last value if it never does (the assertion then shows it). */
async function settled(
  promql: string,
  labels: string[],
  expected: Record<string, number>,
): Promise<Record<string, number>> {
  let last: Record<string, number> = {};
  try {
    return await until(`${promql} = ${JSON.stringify(expected)}`, async () => {
      last = table(await query(promql), labels);
      return JSON.stringify(last) === JSON.stringify(expected) ? last : undefined;
    });
  } catch {
    return last;
  }
}

beforeAll(async () => {
  const binary = prometheusBinary();
  mesh = await startTwoHopMesh({ podIp: POD_IP });
  dir = mkdtempSync(join(tmpdir(), 'petrel-prometheus-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: petrel-proxies
    metrics_path: /stats/prometheus
    static_configs:
      - targets: ['127.0.0.1:${mesh.gateway.statsPort}']
        labels: { proxy: gateway }
      - targets: ['127.0.0.1:${mesh.sidecar.statsPort}']
        labels: { proxy: sidecar }
`,
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
  prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
  await until('Prometheus to be ready', async () => {
    if (prometheus!.exitCode !== null)
      throw new Error(`prometheus exited with ${prometheus!.exitCode}`);
    const res = await fetch(`${promUrl}/-/ready`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await mesh?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('Prometheus scraping Petrel proxies', () => {
  it('scrapes both stats ports without errors', async () => {
    const targets = await until('both targets to be scraped', async () => {
      const data = await api<{
        activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }>;
      }>('/api/v1/targets');
      const t = data.activeTargets;
      return t.length === 2 && t.every((x) => x.health !== 'unknown') ? t : undefined;
    });
    expect(targets.map((t) => [t.labels.proxy, t.health, t.lastError]).sort()).toEqual([
      ['gateway', 'up', ''],
      ['sidecar', 'up', ''],
    ]);
  });

  it('answers PromQL over istio_requests_total with the numbers the traffic made', async () => {
    for (let i = 0; i < 4; i++)
      expect((await send(`${mesh!.gatewayUrl}/app/ok/${i}`)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await send(`${mesh!.gatewayUrl}/app/fail`)).status).toBe(500);
    // Each scrape is its own moment: wait until the last one reflects all the traffic.
    expect(
      await settled(
        'sum(istio_requests_total{reporter="destination"}) by (destination_workload, response_code)',
        ['destination_workload', 'response_code'],
        { 'web-v1/200': 4, 'web-v1/500': 3 },
      ),
    ).toEqual({ 'web-v1/200': 4, 'web-v1/500': 3 });
    // The gateway's side of the same calls, as reporter=source.
    expect(
      await settled(
        'sum(istio_requests_total{reporter="source"}) by (source_workload, destination_workload, proxy)',
        ['source_workload', 'destination_workload', 'proxy'],
        { 'ingress-gw/web-v1/gateway': 7 },
      ),
    ).toEqual({ 'ingress-gw/web-v1/gateway': 7 });
    // Histograms are usable: every request the sidecar saw fell in the +Inf bucket.
    expect(
      await settled(
        'sum(istio_request_duration_milliseconds_bucket{reporter="destination",le="+Inf"}) by (destination_service)',
        ['destination_service'],
        { 'web.default.svc.cluster.local': 7 },
      ),
    ).toEqual({ 'web.default.svc.cluster.local': 7 });
  });
});
