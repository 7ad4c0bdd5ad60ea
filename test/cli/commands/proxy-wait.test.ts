// `petrel proxy wait`, the real command in a child process (the postStart hook):
// exit 0 once the readiness URL answers 200, exit 1 with one line naming the URL
// and the last answer when it never does, exit 2 on a bad flag.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE, PETREL } from '../../support/pods/run.ts';

interface Run {
  code: number;
  stderr: string;
}

function wait(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(NODE, [PETREL, 'proxy', 'wait', ...args], { timeout: 15_000 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    );
  });
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A readiness endpoint answering 503 to the first `notReadyFor` requests, then 200. */
async function readiness(
  notReadyFor: number,
  host = '127.0.0.1',
): Promise<{ port: number; calls: () => number }> {
  let calls = 0;
  server = createServer((req, res) => {
    if (req.url !== '/healthz/ready') return void res.writeHead(404).end();
    calls++;
    if (calls <= notReadyFor)
      res.writeHead(503).end('not ready: config not received from XDS server\n');
    else res.writeHead(200).end();
  });
  await new Promise<void>((r) => server!.listen(0, host, r));
  return { port: (server.address() as AddressInfo).port, calls: () => calls };
}

describe('petrel proxy wait', () => {
  it('exits 0 once the proxy turns ready, polling until then', async () => {
    const ready = await readiness(3);
    const run = await wait([
      '--url',
      `http://127.0.0.1:${ready.port}/healthz/ready`,
      '--timeoutSeconds',
      '10',
      '--periodMillis',
      '20',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(ready.calls()).toBe(4);
    expect(run.stderr).toContain('proxy is ready');
  });

  it('reaches a proxy listening on 0.0.0.0 through localhost, as the default URL does', async () => {
    const ready = await readiness(0, '0.0.0.0');
    const run = await wait(['--url', `http://localhost:${ready.port}/healthz/ready`]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('exits 1 after the timeout with one line: the URL and the last answer', async () => {
    const ready = await readiness(Number.MAX_SAFE_INTEGER);
    const url = `http://127.0.0.1:${ready.port}/healthz/ready`;
    const run = await wait(['--url', url, '--timeout-seconds', '1', '--period-millis', '100']);
    expect(run.code).toBe(1);
    const last = run.stderr.trim().split('\n').at(-1);
    expect(last).toBe(
      `petrel proxy wait: timed out after 1s waiting for ${url} to answer 200; last: HTTP 503 (not ready: config not received from XDS server)`,
    );
    expect(ready.calls()).toBeGreaterThan(1);
  });

  it('names the connection error when nothing listens', async () => {
    const ready = await readiness(0);
    const url = `http://127.0.0.1:${ready.port}/healthz/ready`;
    await new Promise((r) => server!.close(r));
    server = undefined;
    const run = await wait([
      '--url',
      url,
      '--timeoutSeconds',
      '1',
      '--requestTimeoutMillis',
      '200',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`waiting for ${url} to answer 200; last: ECONNREFUSED`);
  });

  it('refuses bad flags with one line and exit 2', async () => {
    const bad = await wait(['--timeoutSeconds', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'petrel proxy wait: --timeoutSeconds soon: must be a positive integer',
    );
    const both = await wait(['--periodMillis', '5', '--period-millis', '6']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--periodMillis and --period-millis are the same flag');
    expect((await wait(['--url', 'ftp://x/'])).stderr).toContain('must be an http(s) URL');
  });
});
