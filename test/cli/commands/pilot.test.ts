// `petrel pilot --mesh-config FILE`: a bad value stops pilot before it listens,
// with one line naming the file and field (exit 2); fields pilot does not act on
// are one warning line each, and pilot runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exec, NODE, PETREL } from '../../support/pods/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'petrel-cli-pilot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('petrel pilot --mesh-config', () => {
  it('refuses a bad value with one line naming the file and field, exit 2', async () => {
    const file = join(dir, 'bad-mesh');
    writeFileSync(file, 'trustDomain: example.org\ningressControllerMode: SOMETIMES\n');
    const run = await exec(
      NODE,
      [PETREL, 'pilot', '--config-dir', dir, '--mesh-config', file, '--xds-port', '0'],
      15_000,
    );
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      `petrel pilot: --mesh-config ${file}: ingressControllerMode: must be one of UNSPECIFIED, OFF, DEFAULT, STRICT`,
    ]);
  });

  it('warns once per field it does not act on, then runs', async () => {
    const file = join(dir, 'mesh');
    writeFileSync(file, 'ingressClass: edge\naccessLogFile: /dev/stdout\nenableTracingg: true\n');
    const config = join(dir, 'config');
    const child = spawn(
      NODE,
      [
        PETREL,
        'pilot',
        '--config-dir',
        dir,
        '--mesh-config',
        file,
        '--xds-port',
        '0',
        '--monitoring-port',
        '0',
        '--ca-state-dir',
        config,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pilot did not start: ${stderr}`)), 15_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('pilot: xDS on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`pilot exited ${code}: ${stderr}`)));
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(stderr.split('\n').filter((l) => l.startsWith('warn\t'))).toEqual([
      `warn\t${file}: accessLogFile: not supported by Petrel; ignored`,
      `warn\t${file}: enableTracingg: not a MeshConfig field; ignored`,
    ]);
  });
});
