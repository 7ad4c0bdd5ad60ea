import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FLAGS_ENV,
  PROXY_NODE_FLAGS,
  REEXEC_MARK,
  planNodeFlags,
} from '../../../sidecar/agent/node-flags.ts';

describe('planNodeFlags', () => {
  it('adds every default flag when nothing sets them', () => {
    expect(planNodeFlags([], {}).add).toEqual([...PROXY_NODE_FLAGS]);
  });

  it('leaves out a flag the command line already sets, in any spelling', () => {
    const add = planNodeFlags(['--max_semi_space_size=4', '--allocation-site-pretenuring'], {}).add;
    expect(add).toEqual(['--heap-growing-percent=50']);
  });

  it('leaves out a flag NODE_OPTIONS already sets', () => {
    const add = planNodeFlags([], {
      NODE_OPTIONS: '--max-semi-space-size=1 --enable-source-maps',
    }).add;
    expect(add).not.toContain('--max-semi-space-size=16');
    expect(add).toHaveLength(PROXY_NODE_FLAGS.length - 1);
  });

  it('takes the override from the environment, and an empty one means none', () => {
    expect(planNodeFlags([], { [FLAGS_ENV]: '--max-semi-space-size=8' }).add).toEqual([
      '--max-semi-space-size=8',
    ]);
    expect(planNodeFlags([], { [FLAGS_ENV]: '' }).add).toEqual([]);
  });

  it('names a bad override in one line and keeps the defaults', () => {
    const plan = planNodeFlags([], { [FLAGS_ENV]: '--max-semi-space-size=8 semi' });
    expect(plan.problem).toMatch(/^PETREL_PROXY_NODE_FLAGS: "semi" is not a --flag/);
    expect(plan.add).toEqual([...PROXY_NODE_FLAGS]);
  });

  it('never plans a second re-exec', () => {
    expect(planNodeFlags([], { [REEXEC_MARK]: '1' }).add).toEqual([]);
  });
});

describe('reexecWithNodeFlags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-node-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'probe.ts');
  writeFileSync(
    script,
    `import { reexecWithNodeFlags } from ${JSON.stringify(new URL('../../../sidecar/agent/node-flags.ts', import.meta.url).pathname)};
reexecWithNodeFlags();
console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, argv: process.argv.slice(2) }));
`,
  );
  const run = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, [script, 'proxy', '--role', 'router'], {
      encoding: 'utf8',
      env: { ...process.env, [REEXEC_MARK]: undefined, [FLAGS_ENV]: undefined, ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { pid: number; execArgv: string[]; argv: string[] };
    // execve: the same process, so whatever watches the pid (a container runtime, the benchmark) keeps it.
    expect(out.pid).toBe(r.pid);
    return out;
  };

  it('runs the same script and arguments again with the flags on the command line', () => {
    const out = run({});
    expect(out.execArgv).toEqual([...PROXY_NODE_FLAGS]);
    expect(out.argv).toEqual(['proxy', '--role', 'router']);
  });

  it('does not re-exec when the override is empty', () => {
    expect(run({ [FLAGS_ENV]: '' }).execArgv).toEqual([]);
  });

  it('starts with the defaults, saying so in one line, when node refuses the override', () => {
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, [REEXEC_MARK]: undefined, [FLAGS_ENV]: '--no-such-v8-flag' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).execArgv).toEqual([...PROXY_NODE_FLAGS]);
    expect(r.stderr).toContain(
      `${FLAGS_ENV}: node refuses "--no-such-v8-flag"; using the defaults`,
    );
  });
});
