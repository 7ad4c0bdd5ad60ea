// One supervised process of the local mesh: spawned in its own process group (so a
// terminal's Ctrl-C reaches only the supervisor, which stops children in order), its
// output kept in a log file, lines that matter (errors, warnings) passed up, its
// readiness probed, and a stop that escalates from SIGTERM to SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export type ChildState = 'starting' | 'ready' | 'unready' | 'exited' | 'stopping' | 'stopped';

export interface ChildSpec {
  /** Shown in the status line and log lines. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  logFile: string;
  /** Resolves true when the process serves (health endpoint, open port). */
  ready: () => Promise<boolean>;
  /** Which output lines to pass up (the rest goes to the log file only). */
  important?: (line: string) => boolean;
}

const IMPORTANT = /^(error|warn|fatal)\b|\bERROR\b|Error:/;

export class Child {
  readonly spec: ChildSpec;
  state: ChildState = 'starting';
  exitCode: number | null = null;
  private proc: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private lastLines: string[] = [];

  constructor(spec: ChildSpec) {
    this.spec = spec;
    this.exited = new Promise((r) => (this.resolveExited = r));
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The last lines of output, for an exit report. */
  tail(): string[] {
    return [...this.lastLines];
  }

  start(onLine: (child: Child, line: string) => void): void {
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const proc = spawn(this.spec.command, this.spec.args, {
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.proc = proc;
    const important = this.spec.important ?? ((l: string) => IMPORTANT.test(l));
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.log?.write(`${line}\n`);
        this.lastLines.push(line);
        if (this.lastLines.length > 8) this.lastLines.shift();
        if (important(line)) onLine(this, line);
      });
    }
    proc.on('error', (err) => {
      this.log?.write(`spawn failed: ${err.message}\n`);
      this.lastLines.push(`spawn failed: ${err.message}`);
    });
    proc.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? 128 : 1);
      this.state = this.state === 'stopping' ? 'stopped' : 'exited';
      this.log?.end();
      this.resolveExited();
    });
  }

  /** Probes readiness once and records the state (exited children stay exited). */
  async probe(): Promise<boolean> {
    if (this.state === 'exited' || this.state === 'stopping' || this.state === 'stopped')
      return false;
    const ok = await this.spec.ready().catch(() => false);
    if (this.state === 'starting' || this.state === 'ready' || this.state === 'unready')
      this.state = ok ? 'ready' : this.state === 'starting' ? 'starting' : 'unready';
    return ok;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) {
      if (this.state !== 'exited') this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Signals the whole process group: `ip netns exec`/`setpriv` chains and their children. */
  private signal(sig: NodeJS.Signals): void {
    const pid = this.proc?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }
}
