// The live status of the local mesh: one line per process. On a terminal the block is
// redrawn in place (log lines are printed above it); otherwise only changes are
// printed, one line each, so logs and CI output stay readable.
import type { Child } from './child.ts';

const COLORS: Record<string, string> = {
  ready: '\x1b[32m',
  starting: '\x1b[33m',
  unready: '\x1b[33m',
  stopping: '\x1b[33m',
  exited: '\x1b[31m',
  stopped: '\x1b[90m',
};

export interface StatusRow {
  child: Child;
  /** Where it serves, e.g. `127.0.1.1:9080 → app :8080`. */
  detail: string;
}

export class StatusLine {
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private drawn = 0;
  private last = new Map<Child, string>();
  header = '';

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.out = out;
    this.tty = out.isTTY === true && process.env.TERM !== 'dumb';
  }

  private line(row: StatusRow, width: number): string {
    const c = row.child;
    const state = c.state === 'exited' ? `exited ${c.exitCode ?? ''}`.trim() : c.state;
    const pid = c.pid ? `pid ${c.pid}` : '';
    const color = this.tty ? (COLORS[c.state] ?? '') : '';
    const reset = this.tty ? '\x1b[0m' : '';
    return `  ${c.spec.name.padEnd(width)} ${color}${state.padEnd(9)}${reset} ${pid.padEnd(10)} ${row.detail}`;
  }

  /** Prints log lines above the status block. */
  log(lines: string[]): void {
    if (lines.length === 0) return;
    this.clear();
    this.out.write(lines.join('\n') + '\n');
  }

  render(rows: StatusRow[]): void {
    const width = Math.max(...rows.map((r) => r.child.spec.name.length));
    if (!this.tty) {
      for (const r of rows) {
        const text = this.line(r, width);
        if (this.last.get(r.child) !== r.child.state) {
          this.last.set(r.child, r.child.state);
          this.out.write(`${text.trim()}\n`);
        }
      }
      return;
    }
    this.clear();
    const lines = [this.header, ...rows.map((r) => this.line(r, width))];
    this.out.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  /** Leaves the last block on screen (the final state after stopping). */
  done(): void {
    this.drawn = 0;
  }
}
