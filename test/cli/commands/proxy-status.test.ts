// `petrel proxy-status` against a real pilot with real agents connected over
// ADS: the table of sync states, a NACK with the proxy's own error text, and
// one clear line when pilot or the proxy cannot be found.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxyStatusCommand } from '../../../cli/commands/proxy-status.ts';
import { CliError } from '../../../cli/errors.ts';
import { bufferIo } from '../../../cli/operator/io.ts';
import { REFUSAL, eventually, startMesh, type Mesh } from '../support/mesh.ts';

let mesh: Mesh;

async function status(...args: string[]) {
  const io = bufferIo();
  const code = await createProxyStatusCommand(io).run(args);
  return { code, out: io.stdout, err: io.stderr };
}

/** Table rows as cells (the columns hold no spaces). */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
}

beforeAll(async () => {
  mesh = await startMesh();
  await mesh.reviews.xds.whenInitialized();
  // Wait until pilot has seen the reviews ACKs and the productpage NACK.
  await eventually(async () => {
    const { out } = await status('--pilot', mesh.pilotAddress);
    return (
      /reviews-v1\.default(\s+\S+){4}\s+SYNCED/.test(out) &&
      /productpage-v1\.default\s+\S+\s+\S+\s+NACK/.test(out)
    );
  });
});

afterAll(async () => {
  await mesh?.close();
});

describe('petrel proxy-status', () => {
  it('lists each connected proxy with its state per xDS type, as istioctl does', async () => {
    const { code, out } = await status('--pilot', mesh.pilotAddress);
    expect(code).toBe(0);
    expect(rows(out)).toEqual([
      ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'],
      [
        'productpage-v1.default',
        'Kubernetes',
        'SYNCED',
        'NACK',
        'SYNCED',
        'NOT SENT',
        'NOT SENT',
        mesh.pilotAddress,
        '1.24.0',
      ],
      [
        'reviews-v1.default',
        'Kubernetes',
        'SYNCED',
        'SYNCED',
        'SYNCED',
        'SYNCED',
        'NOT SENT',
        mesh.pilotAddress,
        '1.24.0',
      ],
    ]);
  });

  it("shows one proxy's NACK with the error the proxy sent", async () => {
    const { code, out } = await status('productpage-v1.default', '--pilot', mesh.pilotAddress);
    expect(code).toBe(0);
    expect(out).toContain(
      'Node ID:     sidecar~127.0.1.1~productpage-v1.default~default.svc.cluster.local',
    );
    expect(out).toMatch(/^State:\s+NACK \(1 NACK on this connection\)$/m);
    expect(out).toMatch(/^LDS\s+NACK\s/m);
    expect(out).toMatch(/^CDS\s+SYNCED\s/m);
    expect(out).toMatch(
      /^LDS rejected \(nonce \S+, \S+, code 3\):\n {2}.*cannot bind 0\.0\.0\.0:15001: address already in use$/m,
    );
    expect(out).toContain(REFUSAL);
  });

  it('finds a proxy by its full node id too', async () => {
    const id = 'sidecar~127.0.1.3~reviews-v1.default~default.svc.cluster.local';
    const { code, out } = await status(id, '--pilot', mesh.pilotAddress);
    expect(code).toBe(0);
    expect(out).toMatch(/^State:\s+SYNCED$/m);
    expect(out).not.toContain('rejected');
  });

  it('prints the sync states as JSON with -o json', async () => {
    const { out } = await status('-o', 'json', '--pilot', mesh.pilotAddress);
    const parsed = JSON.parse(out) as Array<{
      proxy: string;
      types: Array<{ type: string; state: string; nack?: { message: string } }>;
    }>;
    const productpage = parsed.find((p) => p.proxy.includes('productpage-v1'))!;
    const lds = productpage.types.find((t) => t.type === 'lds')!;
    expect(lds.state).toBe('NACK');
    expect(lds.nack?.message).toContain(REFUSAL);
  });

  it('says in one line that a proxy is not connected, and exits 1', async () => {
    const { code, out, err } = await status('ghost.default', '--pilot', mesh.pilotAddress);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(
      `petrel proxy-status: proxy ghost.default is not connected to pilot at http://${mesh.pilotAddress}\n`,
    );
  });

  it('says in one line that pilot cannot be reached, and exits 1', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { code, err } = await status('--pilot', `127.0.0.1:${port}`);
    expect(code).toBe(1);
    expect(err).toMatch(
      new RegExp(
        `^petrel proxy-status: cannot reach pilot at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`,
      ),
    );
    expect(err.split('\n')).toHaveLength(2);
  });

  it('rejects bad flags as usage errors', async () => {
    await expect(status('--pilot', 'not an address')).rejects.toBeInstanceOf(CliError);
    await expect(status('-o', 'xml')).rejects.toThrow(
      '--output xml: want one of table, json, yaml',
    );
    await expect(status('a.default', 'b.default')).rejects.toBeInstanceOf(CliError);
  });

  it('prints help without exiting the process', async () => {
    const { code, out } = await status('--help');
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: petrel proxy-status/);
  });
});
