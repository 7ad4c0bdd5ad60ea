// `petrel proxy` refuses to start on a bad ISTIO_KUBE_APP_PROBERS, as pilot-agent
// does: one line naming the path and field, exit 2, before connecting anywhere.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NODE, PETREL } from '../../support/pods/run.ts';

function runProxy(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      NODE,
      [PETREL, 'proxy', '--xds-address', '127.0.0.1:1', '--admin-port', '0', ...args],
      { timeout: 15_000, env: { ...process.env, ...env } },
      (err, _out, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    ),
  );
}

describe('petrel proxy', () => {
  it('stops at startup on a bad ISTIO_KUBE_APP_PROBERS with one line naming path and field', async () => {
    const probers = JSON.stringify({
      '/app-health/reviews/readyz': { httpGet: { path: '/ready', port: 'http' } },
    });
    const run = await runProxy([], { ISTIO_KUBE_APP_PROBERS: probers });
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^petrel proxy: ISTIO_KUBE_APP_PROBERS: "\/app-health\/reviews\/readyz"\.httpGet\.port: /,
    );
  });

  it('refuses a --bind-ip that is not an address with one line and exit 2', async () => {
    const run = await runProxy(['--bind-ip', 'localhost']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'petrel proxy: --bind-ip localhost: must be an IPv4 or IPv6 address',
    ]);
  });
});
