// The dashboard page in a real headless Chromium (Debian's chromium, driven by
// playwright-core): with proxies reporting the sample mesh's calls, the page draws
// every edge of the sample's graph, and a screenshot of the graph really shows them
// (edge-green pixels counted in the PNG). Pilot is the real one, in file mode.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../dashboard/server.ts';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { SAMPLE_CALLS, exposition } from './support/sample-metrics.ts';

const CHROMIUM = '/usr/bin/chromium';

/** A proxy's stats endpoint whose counters grow with every scrape. */
async function fakeProxy(from: string): Promise<{ url: string; close(): Promise<void> }> {
  let scrapes = 0;
  const server = http.createServer((_req, res) => {
    scrapes++;
    res.end(
      exposition(
        SAMPLE_CALLS.filter((c) => c.from === from),
        scrapes,
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/stats/prometheus`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('dashboard page in Chromium', () => {
  let dir: string;
  let pilot: RunningPilot;
  let dashboard: RunningDashboard;
  let browser: Browser;
  const proxies: { url: string; close(): Promise<void> }[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    dir = mkdtempSync(join(tmpdir(), 'petrel-dashboard-'));
    cpSync('samples/mesh', join(dir, 'mesh'), { recursive: true });
    pilot = await startPilot({
      configDir: join(dir, 'mesh'),
      xdsPort: 0,
      monitoringPort: 0,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const callers = [...new Set(SAMPLE_CALLS.map((c) => c.from))];
    for (const c of callers) proxies.push(await fakeProxy(c));
    dashboard = await startDashboard({
      host: '127.0.0.1',
      port: 0,
      pilot: `http://127.0.0.1:${pilot.monitoringPort}`,
      targets: () => callers.map((name, i) => ({ name, urls: [proxies[i]!.url] })),
      scrapeEveryMs: 200,
      windowMs: 1000,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    for (const p of proxies) await p.close();
    await pilot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the sample graph and a screenshot shows its edges', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(dashboard.url);
    await page.waitForFunction(
      'document.querySelectorAll("g.edge:not(.idle)").length >= 11',
      undefined,
      { timeout: 15_000 },
    );
    const edges = await page.$$eval('g.edge', (es) =>
      es.map((e) => `${e.getAttribute('data-source')} > ${e.getAttribute('data-target')}`),
    );
    expect(edges.sort()).toEqual([
      'service:default/details > workload:default/details-v1',
      'service:default/productpage > workload:default/productpage-v1',
      'service:default/ratings > workload:default/ratings-v1',
      'service:default/reviews > workload:default/reviews-v1',
      'service:default/reviews > workload:default/reviews-v2',
      'service:default/reviews > workload:default/reviews-v3',
      'workload:default/productpage-v1 > service:default/details',
      'workload:default/productpage-v1 > service:default/reviews',
      'workload:default/reviews-v2 > service:default/ratings',
      'workload:default/reviews-v3 > service:default/ratings',
      'workload:istio-system/istio-ingressgateway > service:default/productpage',
    ]);
    // reviews-v2 → ratings fails 20% of the time: drawn red, with its error rate.
    const bad = await page.$eval('g.edge[data-source="workload:default/reviews-v2"]', (e) =>
      e.getAttribute('data-error-rate'),
    );
    expect(Number(bad)).toBeCloseTo(0.2, 1);
    const png = await page.locator('#graph').screenshot();
    writeFileSync(join(tmpdir(), 'petrel-dashboard-graph.png'), png);
    // Count edge-green pixels in the screenshot itself, decoded by the browser.
    const green = await page.evaluate(async (b64) => {
      // Runs in the page; the project's type check has no DOM library.
      const { document, Image } = globalThis as unknown as { document: any; Image: any };
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (
          Math.abs(d[i]! - 0x3f) < 30 &&
          Math.abs(d[i + 1]! - 0xb3) < 30 &&
          Math.abs(d[i + 2]! - 0x7f) < 30
        )
          n++;
      return n;
    }, png.toString('base64'));
    expect(green).toBeGreaterThan(500);
    const nodes = await page.$$eval('g.node', (ns) => ns.length);
    expect(nodes).toBe(11);
    await page.close();
  }, 30_000);

  it('serves the merged metrics and the API the page reads', async () => {
    const get = (path: string) =>
      fetch(new URL(path, dashboard.url)).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text.match(/^# TYPE istio_requests_total counter$/gm)?.length).toBe(1);
    expect(JSON.parse((await get('/api/proxies')).text)).toEqual([]);
    expect(JSON.parse((await get('/api/routes')).text)).toEqual([]);
    expect((await get('/nope')).status).toBe(404);
  });
});
