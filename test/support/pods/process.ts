// A process inside a pod's network namespace, optionally as another user. It runs
// through `ip netns exec` and `setpriv`, both of which exec in place, so the pid
// we hold is the program's own. `--pdeathsig SIGKILL` ties it to the test process:
// if the runner dies without cleaning up, the kernel kills it anyway.
import { spawn, type ChildProcess } from 'node:child_process';
import { ENV } from './run.ts';

export interface PodProcess {
  readonly pid: number;
  /** Everything written to stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves once the output matches; rejects with the output when the process exits or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited(): boolean;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const KEEP = 64 * 1024;

export function spawnInPod(
  netns: string,
  argv: string[],
  opts: { uid?: number; gid?: number; label: string; env?: Record<string, string> },
): PodProcess {
  const ids =
    opts.uid === undefined
      ? []
      : ['--reuid', String(opts.uid), '--regid', String(opts.gid ?? opts.uid), '--clear-groups'];
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', netns, 'setpriv', ...ids, '--pdeathsig', 'SIGKILL', '--', ...argv],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...ENV, ...opts.env } },
  );
  let out = '';
  let exitCode: number | null | undefined;
  const watchers = new Set<() => void>();
  const append = (d: Buffer) => {
    out = (out + d.toString()).slice(-KEEP);
    for (const w of watchers) w();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      for (const w of watchers) w();
      resolve();
    }),
  );
  child.on('error', (err) => append(Buffer.from(`spawn error: ${err.message}\n`)));

  return {
    pid: child.pid ?? -1,
    output: () => out,
    exited: () => exitCode !== undefined,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          fn();
        };
        const check = () => {
          const m = pattern.exec(out);
          if (m) done(() => resolve(m));
          else if (exitCode !== undefined)
            done(() =>
              reject(new Error(`${opts.label} exited (${exitCode}) before ${pattern}:\n${out}`)),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`${opts.label}: no ${pattern} in ${timeoutMs} ms:\n${out}`)),
            ),
          timeoutMs,
        );
        watchers.add(check);
        check();
      });
    },
    async stop(graceMs = 3000) {
      if (exitCode !== undefined || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
