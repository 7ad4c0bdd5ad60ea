// `petrel proxy` refuses to start on a bad ISTIO_KUBE_APP_PROBERS, as pilot-agent
// does: one line naming the path and field, exit 2, before connecting anywhere.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NODE, PETREL } from '../../support/pods/run.ts';

describe('petrel proxy', () => {
  it('stops at startup on a bad ISTIO_KUBE_APP_PROBERS with one line naming path and field', async () => {
    const probers = JSON.stringify({
      '/app-health/reviews/readyz': { httpGet: { path: '/ready', port: 'http' } },
    });
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        NODE,
        [PETREL, 'proxy', '--xds-address', '127.0.0.1:1', '--admin-port', '0'],
        { timeout: 15_000, env: { ...process.env, ISTIO_KUBE_APP_PROBERS: probers } },
        (err, _out, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^petrel proxy: ISTIO_KUBE_APP_PROBERS: "\/app-health\/reviews\/readyz"\.httpGet\.port: /,
    );
  });
});
