// The README walkthrough's external-authorization step, as a user runs it: `petrel
// local --mesh-config samples/mesh-config/ext-authz.yaml` with the step's file in
// the config dir. The gateway asks the ext-authz sample pod (over mTLS, through its
// sidecar) about the products API and lets the page through unchecked.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMesh, type TestMesh } from './support/local-mesh.ts';

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; result: string | null }> {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(8000) });
  return {
    status: r.status,
    body: await r.text(),
    result: r.headers.get('x-ext-authz-check-result'),
  };
}

describe('petrel local: the ext-authz walkthrough step', () => {
  let m: TestMesh;

  beforeAll(async () => {
    m = await startTestMesh(
      ['--mesh-config', resolve('samples/mesh-config/ext-authz.yaml')],
      60_000,
      ['samples/walkthrough/ext-authz.yaml'],
    );
  }, 70_000);

  afterAll(async () => {
    if (m && m.proc.exitCode === null) await m.stop();
  }, 30_000);

  it('denies the products API without the header, with the authorizer’s reason', async () => {
    const r = await get(`${m.gateway}/api/v1/products/0`);
    expect(r.status, m.output()).toBe(403);
    expect(r.body).toBe(
      'denied by ext_authz for not found header `x-ext-authz: allow` in the request',
    );
    expect(r.result).toBe('denied');
  });

  it('serves it with `x-ext-authz: allow`, and never checks the page', async () => {
    const r = await get(`${m.gateway}/api/v1/products/0`, { 'x-ext-authz': 'allow' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).id).toBe(0);
    expect((await get(`${m.gateway}/productpage`)).status).toBe(200);
  });
});
