// The V8 heap settings the proxy runs with, and the re-exec that applies them.
//
// A proxy's heap is small and steady (config, per-connection state) while every
// request makes ~20 KB of short-lived garbage. V8's defaults are tuned for the
// opposite (a big, growing heap on a machine with memory to spare): measured in
// bench/proxy (README.md, "Where the memory goes"), they made a proxy's RSS reach
// ~330–380 MiB under load although its live heap stays near 50 MiB:
//  - the young generation grows to 64 MiB semi-spaces (128 MiB committed);
//  - the old generation is allowed to grow to several times its live size before
//    a full GC, and request-scoped objects that V8 decides to pretenure (allocate
//    straight into the old generation, from survival it saw at start-up or at a
//    scavenge) fill it with garbage only a full GC frees.
// The flags below bound all three at no measurable CPU cost per request.
//
// They have to be on Node's command line: the semi-space size is fixed when the
// heap is set up, so v8.setFlagsFromString at run time is too late, and
// NODE_OPTIONS does not accept most V8 flags. So `petrel proxy` re-executes
// itself once (process.execve: same pid, so containers, capture rules keyed on
// the uid and the benchmark's /proc readings are unaffected) with any of them
// that the command line and NODE_OPTIONS do not already set. Every launcher
// (the image's entrypoint, the injector's container, `petrel local`, the
// benchmark) gets them that way, with nothing to keep in step.

import { spawnSync } from 'node:child_process';

/** Each flag with why; a flag already given (same name) on the command line wins. */
export const PROXY_NODE_FLAGS: readonly string[] = [
  // 16 MiB semi-spaces (V8's default max here is 64): scavenges stay ~1 ms.
  '--max-semi-space-size=16',
  // Full GC once the old generation is 1.5× its size after the last one (V8
  // otherwise allows up to 4× on a large machine).
  '--heap-growing-percent=50',
  // Request-scoped objects are never long-lived; tenuring them fills the old generation.
  '--no-allocation-site-pretenuring',
];

/** Set (to anything) in the re-executed process, so it never re-executes again. */
export const REEXEC_MARK = 'PETREL_PROXY_NODE_FLAGS_APPLIED';
/** Overrides PROXY_NODE_FLAGS: space-separated flags; empty runs with V8's defaults. */
export const FLAGS_ENV = 'PETREL_PROXY_NODE_FLAGS';

/** `--max-semi-space-size` for `--max-semi-space-size=16`, `--allocation-site-pretenuring` for its `--no-` form. */
function flagName(flag: string): string {
  const name = flag.split('=')[0]!.replace(/_/g, '-');
  return name.startsWith('--no-') ? `--${name.slice(5)}` : name;
}

export interface NodeFlagsPlan {
  /** Flags to add to the command line (empty: nothing to do). */
  add: string[];
  /** One line about a bad override, which is then ignored. */
  problem?: string;
}

/**
 * The flags to add: the override from the environment or the defaults, minus
 * any whose name the command line (`execArgv`) or NODE_OPTIONS already sets.
 */
export function planNodeFlags(execArgv: readonly string[], env: NodeJS.ProcessEnv): NodeFlagsPlan {
  if (env[REEXEC_MARK] !== undefined) return { add: [] };
  let wanted = PROXY_NODE_FLAGS;
  let problem: string | undefined;
  const override = env[FLAGS_ENV];
  if (override !== undefined) {
    const tokens = override.split(/\s+/).filter(Boolean);
    const bad = tokens.find((t) => !/^--[a-z][a-z0-9_-]*(=\S+)?$/i.test(t));
    if (bad === undefined) wanted = tokens;
    else
      problem = `${FLAGS_ENV}: "${bad}" is not a --flag or --flag=value; using the defaults (${PROXY_NODE_FLAGS.join(' ')})`;
  }
  const given = new Set(
    [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)]
      .filter((a) => a.startsWith('--'))
      .map(flagName),
  );
  return { add: wanted.filter((f) => !given.has(flagName(f))), problem };
}

/**
 * Re-executes this process with the planned flags placed before the script, if
 * there are any and Node can (process.execve, Node ≥ 23.11); returns otherwise.
 * Call it first thing, before any socket, file or timer exists.
 */
export function reexecWithNodeFlags(log: (line: string) => void = (l) => console.error(l)): void {
  const warn = (line: string): void => log(`${new Date().toISOString()}\twarning\tagent\t${line}`);
  let plan = planNodeFlags(process.execArgv, process.env);
  if (plan.problem) warn(plan.problem);
  // A well-formed but unknown flag in the override would make the new process exit
  // at once (a crash loop in a pod): try it on a throwaway node first.
  if (process.env[FLAGS_ENV] !== undefined && plan.add.length > 0 && !nodeAccepts(plan.add)) {
    warn(
      `${FLAGS_ENV}: node refuses "${plan.add.join(' ')}"; using the defaults (${PROXY_NODE_FLAGS.join(' ')})`,
    );
    plan = planNodeFlags(process.execArgv, { ...process.env, [FLAGS_ENV]: undefined });
  }
  if (plan.add.length === 0 || typeof process.execve !== 'function') return;
  try {
    process.execve(
      process.execPath,
      [process.execPath, ...plan.add, ...process.execArgv, ...process.argv.slice(1)],
      { ...process.env, [REEXEC_MARK]: '1' },
    );
  } catch (err) {
    // Still this process, with V8's defaults: run on rather than not at all.
    warn(
      `cannot re-execute with ${plan.add.join(' ')}: ${(err as Error).message}; running with V8's defaults`,
    );
  }
}

/** Whether node starts with `flags` (an override from the environment is checked once). */
function nodeAccepts(flags: readonly string[]): boolean {
  const r = spawnSync(process.execPath, [...flags, '-e', ''], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}
