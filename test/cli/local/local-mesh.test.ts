// `petrel local` end to end (what `npm start` runs): the mesh comes up, serves the
// README walkthrough's requests with the expected results through the gateway and
// the sidecars, follows a config edit, merges the proxies' istio_* metrics into a
// graph, and stops clean on Ctrl-C with no process left behind.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, startTestMesh, type TestMesh } from './support/local-mesh.ts';

const walkthrough = (name: string) => readFileSync(`samples/walkthrough/${name}.yaml`, 'utf8');

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(8000) });
  return { status: r.status, body: await r.text() };
}

async function versions(
  m: TestMesh,
  n: number,
  headers: Record<string, string> = {},
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await get(`${m.gateway}/api/v1/products/0/reviews`, headers);
    seen.add(r.status === 200 ? String(JSON.parse(r.body).version) : `HTTP ${r.status}`);
  }
  return seen;
}

/** Polls until `check` passes: pilot pushes an edit within a second, the test allows ten. */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('petrel local', () => {
  let m: TestMesh;

  beforeAll(async () => {
    m = await startTestMesh();
  }, 60_000);

  afterAll(async () => {
    if (m && m.proc.exitCode === null) await m.stop();
  }, 30_000);

  it('serves the product page through gateway, sidecars and the gRPC hop', async () => {
    const page = await get(`${m.gateway}/productpage`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Reviews served by <b>reviews-v[13]<\/b>/);
    expect(page.body).toContain('Book Details');
    const jason = JSON.parse(
      (await get(`${m.gateway}/api/v1/products/0/reviews`, { 'end-user': 'jason' })).body,
    );
    expect(jason.version).toBe('v2');
    expect(jason.reviews[0].rating).toEqual({ stars: 5, color: 'black' });
    expect(jason.ratingsPod).toBe('ratings-v1');
    expect(m.output()).toContain(`curl -s ${m.gateway}/productpage`);
  });

  it('follows the walkthrough: traffic shifting is an edit away', async () => {
    expect([...(await versions(m, 6))].every((v) => v === 'v1' || v === 'v3')).toBe(true);
    m.write(
      'reviews-routing.yaml',
      walkthrough('traffic-shifting').replace(
        /weight: 50\n(\s+- destination: \{ host: reviews, subset: v3 \}\n\s+)weight: 50/,
        'weight: 0\n$1weight: 100',
      ),
    );
    await eventually(async () => expect(await versions(m, 4)).toEqual(new Set(['v3'])));
  });

  it('follows the walkthrough: header routing, fault abort, timeouts, circuit breaking', async () => {
    m.write('reviews-routing.yaml', walkthrough('header-routing'));
    await eventually(async () => {
      expect(await versions(m, 2, { 'end-user': 'jason' })).toEqual(new Set(['v2']));
      expect(await versions(m, 3)).toEqual(new Set(['v1']));
    });

    m.write('ratings-routing.yaml', walkthrough('fault-abort'));
    await eventually(async () => {
      const r = JSON.parse(
        (await get(`${m.gateway}/api/v1/products/0/reviews`, { 'end-user': 'jason' })).body,
      );
      expect(r.reviews[0].rating.error).toMatch(/^Ratings service is currently unavailable/);
    });

    m.write('ratings-routing.yaml', '# removed\n');
    m.write('reviews-routing.yaml', walkthrough('timeouts-retries'));
    await eventually(async () =>
      expect((await get(`${m.gateway}/api/v1/products/0/reviews`)).status).toBe(504),
    );

    m.write('details-circuit-breaker.yaml', walkthrough('circuit-breaking'));
    await eventually(async () => {
      const codes = await Promise.all(
        Array.from({ length: 30 }, () =>
          get(`${m.gateway}/api/v1/products/0`).then((r) => r.status),
        ),
      );
      expect(codes).toContain(200);
      expect(codes).toContain(503);
    });
  });

  it('keeps the last good config when an edit is invalid, and says why', async () => {
    m.write('reviews-routing.yaml', walkthrough('header-routing'));
    await eventually(async () =>
      expect(await versions(m, 2, { 'end-user': 'jason' })).toEqual(new Set(['v2'])),
    );
    m.write(
      'reviews-routing.yaml',
      walkthrough('header-routing').replace('exact: jason', 'exactly: jason'),
    );
    await eventually(async () => expect(m.output()).toMatch(/reviews-routing\.yaml.*exactly/));
    expect(await versions(m, 2, { 'end-user': 'jason' })).toEqual(new Set(['v2']));
  });

  it("merges every proxy's istio_* metrics and draws the graph from them", async () => {
    const metrics = await get(`${m.dashboard}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.match(/^# TYPE istio_requests_total counter$/gm)?.length).toBe(1);
    expect(metrics.body).toMatch(
      /istio_requests_total\{reporter="source",source_workload="productpage-v1".*destination_service_name="reviews".*pod="productpage-v1"\} \d+/,
    );
    // Automatic mTLS, as Istio runs by default: reviews saw productpage's SPIFFE identity.
    expect(metrics.body).toMatch(
      /istio_requests_total\{reporter="destination",[^}]*source_principal="spiffe:\/\/cluster.local\/ns\/default\/sa\/bookinfo-productpage"[^}]*destination_service_name="reviews"[^}]*connection_security_policy="mutual_tls"/,
    );
    await eventually(async () => {
      const g = JSON.parse((await get(`${m.dashboard}/api/graph`)).body) as {
        edges: { source: string; target: string }[];
      };
      const edges = g.edges.map((e) => `${e.source} > ${e.target}`);
      expect(edges).toContain('workload:default/productpage-v1 > service:default/reviews');
      expect(edges).toContain('service:default/reviews > workload:default/reviews-v2');
      expect(edges).toContain('workload:default/reviews-v2 > service:default/ratings');
    });
    const proxies = JSON.parse((await get(`${m.dashboard}/api/proxies`)).body) as {
      state: string;
    }[];
    expect(proxies.length).toBe(7);
  });

  it('stops everything on Ctrl-C', async () => {
    const pods = m.host.replace(/\.0\.1$/, '.1.');
    const code = await m.stop();
    expect(code).toBe(0);
    expect(processesMentioning(m.meshDir)).toEqual([]);
    expect(processesMentioning(`--ip ${pods}`)).toEqual([]);
  }, 30_000);
});
