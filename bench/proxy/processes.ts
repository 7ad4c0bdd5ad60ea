// Child processes of the benchmark: each pinned to a core with taskset (and given
// a scheduling priority with nice, since the machine is shared), its output kept
// for a failure report, stopped by its own pid.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface Placement {
  /** CPU number for taskset -c. */
  core: number;
  /** nice value; negative raises priority over the other work on the machine. */
  nice: number;
}

export interface Running {
  name: string;
  pid: number;
  exited(): boolean;
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) when it exits. */
  readonly done: Promise<string>;
}

export class BenchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'BenchError';
  }
}

/**
 * `nice -n N taskset -c CORE cmd args`: both exec, so the child's pid is the
 * command's own and /proc/PID/stat counts its CPU time (all its threads, which
 * inherit the affinity, so a Node proxy's GC helpers stay on its core too).
 */
export function startPinned(
  name: string,
  place: Placement,
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child: ChildProcess = spawn(
    'nice',
    ['-n', String(place.nice), 'taskset', '-c', String(place.core), cmd, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: options.env ?? process.env },
  );
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        tail.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (tail.length > 30) tail.shift();
      }
    });
  }
  const done = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (err) => {
      tail.push(`spawn failed: ${err.message}`);
      resolve('spawn-error');
    });
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    tail: () => [...tail],
    done,
    async stop(graceMs = 10_000) {
      if (exited()) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await done;
      clearTimeout(kill);
    },
  };
}

/** Polls `check` every 100 ms until it holds; fails with the child's last lines if it exits or time runs out. */
export async function waitReady(
  proc: Running,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited())
      throw new BenchError(
        'PETREL_BENCH_PEER_EXITED',
        `${proc.name} exited before it was ready:\n${proc.tail().join('\n')}`,
      );
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new BenchError(
    'PETREL_BENCH_PEER_TIMEOUT',
    `${proc.name} not ready after ${timeoutMs / 1000} s:\n${proc.tail().join('\n')}`,
  );
}

/** One GET; true when it answers 200 with a body of `bytes` bytes (any body when undefined). */
export async function answers(url: string, bytes?: number): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const body = await res.arrayBuffer();
  return res.status === 200 && (bytes === undefined || body.byteLength === bytes);
}
