// OS commands behind one small interface, so the rule logic is tested by
// recording exactly what would run (and with which stdin), and the real
// implementation is a thin spawn.
import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; 127 when the binary does not exist (as a shell reports it). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface Dependencies {
  run(cmd: string, args: string[], stdin?: string): Promise<RunResult>;
}

/** Runs commands for real, from PATH plus the sbin folders where iptables lives. */
export class RealDependencies implements Dependencies {
  readonly timeoutMs: number;

  constructor(timeoutMs = 30_000) {
    this.timeoutMs = timeoutMs;
  }

  run(cmd: string, args: string[], stdin?: string): Promise<RunResult> {
    const path = [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/usr/local/sbin']
      .filter(Boolean)
      .join(':');
    return new Promise((resolve) => {
      const child = spawn(cmd, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, PATH: path },
        timeout: this.timeoutMs,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err: NodeJS.ErrnoException) => {
        resolve({ code: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: stderr || err.message });
      });
      child.on('close', (code, signal) => {
        resolve({
          code: code ?? 128,
          stdout,
          stderr: signal ? `${stderr}killed by ${signal}` : stderr,
        });
      });
      // A command that ignores stdin may close it early; that is not an error here.
      child.stdin.on('error', () => {});
      child.stdin.end(stdin ?? '');
    });
  }
}
