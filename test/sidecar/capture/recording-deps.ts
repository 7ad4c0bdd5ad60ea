// Dependencies that record every command (with its stdin) instead of running
// it, answering from a table: the golden tests compare the recording.
import type { Dependencies, RunResult } from '../../../sidecar/capture/dependencies.ts';

export interface Call {
  cmd: string;
  args: string[];
  stdin?: string;
}

export type Answer = Partial<RunResult> | ((call: Call) => Partial<RunResult>);

/** By default: every iptables variant exists with no rules, and plain iptables is nft. */
const DEFAULTS: Record<string, Partial<RunResult>> = {
  'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
};

export class RecordingDependencies implements Dependencies {
  readonly calls: Call[] = [];
  readonly answers: Record<string, Answer>;

  /** `answers` keys are command lines (`cmd arg arg`) or bare command names. */
  constructor(answers: Record<string, Answer> = {}) {
    this.answers = { ...DEFAULTS, ...answers };
  }

  async run(cmd: string, args: string[], stdin?: string): Promise<RunResult> {
    const call: Call = stdin === undefined ? { cmd, args } : { cmd, args, stdin };
    this.calls.push(call);
    const answer = this.answers[[cmd, ...args].join(' ')] ?? this.answers[cmd] ?? {};
    const r = typeof answer === 'function' ? answer(call) : answer;
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** The recording as text: `$ cmd args` lines, each followed by its stdin. */
  transcript(): string {
    return this.calls.map((c) => `$ ${[c.cmd, ...c.args].join(' ')}\n${c.stdin ?? ''}`).join('');
  }
}
