// Installing and removing the capture rules in the current network namespace:
// one `iptables-restore --noflush` per family, so each family's change is
// atomic (Istio also uses --noflush so rules of others stay untouched).
import type { CaptureConfig } from './config.ts';
import { detectBackend, type Backend, type Variant } from './backend.ts';
import type { Dependencies, RunResult } from './dependencies.ts';
import { CaptureError } from './errors.ts';
import { buildCaptureRules } from './rules.ts';
import type { Family } from './rule-set.ts';
import {
  applyRestore,
  cleanupRestore,
  hasCaptureState,
  parseSave,
  type SaveState,
} from './save-state.ts';

export interface CaptureStep {
  family: Family;
  command: string;
  /** The iptables-restore input; empty when the family needed no change. */
  input: string;
}

export interface CaptureResult {
  backend: Backend;
  steps: CaptureStep[];
}

function commandLine(cmd: string, args: string[]): string {
  return [cmd, ...args].join(' ');
}

/** The first line iptables-restore complains about, with our input line it refers to. */
function failure(cmd: string, args: string[], r: RunResult, input?: string): CaptureError {
  const msg = (r.stderr || r.stdout).trim().split('\n').filter(Boolean);
  let text = msg[0] ?? `exit ${r.code}`;
  const lineNo = /line:? (\d+)/.exec(msg.join(' '))?.[1];
  const bad = lineNo && input ? input.split('\n')[Number(lineNo) - 1] : undefined;
  if (bad && !text.includes(bad)) text += ` (input line ${lineNo}: ${bad})`;
  const what = r.code === 127 ? 'not found' : `failed (exit ${r.code})`;
  return new CaptureError('PETREL_CAPTURE_COMMAND', `${commandLine(cmd, args)} ${what}: ${text}`);
}

async function readState(deps: Dependencies, backend: Backend, family: Family): Promise<SaveState> {
  const cmd = backend.save(family);
  const r = await deps.run(cmd, []);
  if (r.code !== 0) throw failure(cmd, [], r);
  return parseSave(r.stdout);
}

async function restore(
  deps: Dependencies,
  backend: Backend,
  family: Family,
  input: string,
): Promise<CaptureStep> {
  const cmd = backend.restore(family);
  const step: CaptureStep = { family, command: commandLine(cmd, ['--noflush']), input };
  if (input === '') return step;
  const r = await deps.run(cmd, ['--noflush'], input);
  if (r.code !== 0) throw failure(cmd, ['--noflush'], r, input);
  return step;
}

/**
 * Installs the rules, replacing any capture rules already there (an init
 * container that restarts must converge, not fail on existing chains).
 */
export async function applyCapture(
  cfg: CaptureConfig,
  deps: Dependencies,
  forced?: Variant,
): Promise<CaptureResult> {
  const backend = await detectBackend(deps, forced);
  const rules = buildCaptureRules(cfg);
  const families: Family[] = cfg.ipv6 ? [4, 6] : [4];
  const steps: CaptureStep[] = [];
  if (cfg.ipv6) {
    // The proxy forwards inbound IPv6 from ::6 (as from 127.0.0.6 in IPv4); lo only has ::1 by default.
    const args = ['-6', 'addr', 'replace', '::6/128', 'dev', 'lo'];
    const r = await deps.run('ip', args);
    if (r.code !== 0) throw failure('ip', args, r);
  }
  for (const family of families) {
    const state = await readState(deps, backend, family);
    steps.push(await restore(deps, backend, family, applyRestore(rules.rules(family), state)));
  }
  if (!cfg.ipv6) {
    // IPv6 capture left over from an earlier run with --ipv6 would keep capturing: remove it.
    // A kernel without IPv6 has nothing to remove, so a failing ip6tables-save is not an error here.
    const state = await readState(deps, backend, 6).catch(() => undefined);
    if (state && hasCaptureState(state))
      steps.push(await restore(deps, backend, 6, cleanupRestore(state)));
  }
  return { backend, steps };
}

/** The restore input for each family without running it (for --dry-run --cleanup). */
export async function planCleanup(deps: Dependencies, forced?: Variant): Promise<CaptureResult> {
  const backend = await detectBackend(deps, forced);
  const steps: CaptureStep[] = [];
  for (const family of [4, 6] as const) {
    const state = await readState(deps, backend, family);
    steps.push({
      family,
      command: commandLine(backend.restore(family), ['--noflush']),
      input: hasCaptureState(state) ? cleanupRestore(state) : '',
    });
  }
  return { backend, steps };
}

/** Removes every Istio-style chain and the jumps to them, in both families; a no-op when there are none. */
export async function cleanupCapture(deps: Dependencies, forced?: Variant): Promise<CaptureResult> {
  const plan = await planCleanup(deps, forced);
  for (const step of plan.steps) await restore(deps, plan.backend, step.family, step.input);
  return plan;
}
