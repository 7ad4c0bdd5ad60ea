// A peer process the interop suite started: its output kept (the tail goes into
// any error about it), stopped with SIGTERM then SIGKILL, and never left behind
// when the test process exits early.
import { spawn, type ChildProcess } from 'node:child_process';

const TAIL_LINES = 40;
const running = new Set<ChildProcess>();

// A crashed or interrupted test run must not leave etcd or an API server holding ports.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface PeerProcess {
  readonly name: string;
  readonly pid: number;
  /** The last lines the process wrote (stdout and stderr interleaved). */
  tail(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(
  name: string,
  bin: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): PeerProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  running.add(child);
  const lines: string[] = [];
  let partial = '';
  const keep = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      done = true;
      running.delete(child);
      resolve(`spawn error: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      done = true;
      running.delete(child);
      resolve(signal ? `signal ${signal}` : `exit code ${code}`);
    });
  });
  return {
    name,
    pid: child.pid ?? -1,
    tail: () => [...lines, partial].filter(Boolean).join('\n'),
    exited,
    hasExited: () => done,
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A port free right now, for a process or server told its port before it binds.
export { freePort } from '../../../bench/support/free-port.ts';

/** Polls `probe` until it returns true; fails early with the peer's output if the peer exits. */
export async function waitUntilReady(
  peer: PeerProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (peer.hasExited()) {
      throw new Error(
        `${peer.name} exited (${await peer.exited}) before ${what}; its last output:\n${peer.tail()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${peer.name} not ${what} after ${timeoutMs} ms; its last output:\n${peer.tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
