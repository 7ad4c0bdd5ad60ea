// Running commands for pod tests: the repo's Node 24, the `petrel` entry point,
// and exec helpers that return (or throw) one precise line on failure.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Node 24 from the `node` devDependency, as npm scripts use. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const PETREL = join(ROOT, 'cli', 'petrel.ts');
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** ip, iptables and setpriv live in sbin on Debian; a test runner's PATH may lack it. */
export const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: string[], timeoutMs = 10_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: ENV }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
    });
  });
}

export async function must(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await exec(cmd, args, timeoutMs);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout;
}

/** Fails with the install hint when a needed tool is missing, rather than skipping silently. */
export async function requireTools(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('pod tests need root (ip netns, iptables, setpriv)');
  for (const [cmd, arg, pkg] of [
    ['ip', '-V', 'iproute2'],
    ['iptables', '-V', 'iptables'],
    ['setpriv', '--version', 'util-linux'],
  ] as const) {
    const r = await exec(cmd, [arg]);
    if (r.code !== 0) throw new Error(`${cmd} is not installed: apt-get install -y ${pkg}`);
  }
}
