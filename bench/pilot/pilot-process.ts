// A control plane under test, in a child process of its own so its CPU time and
// RSS are its own: Petrel's `petrel pilot --config-dir`, or Istio's
// pilot-discovery in file mode when it has been built (test/interop/README.md).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import type { MemoryProbe } from './mem-probe.ts';

export interface PilotDebounce {
  afterMs: number;
  maxMs: number;
}

export interface RunningControlPlane {
  name: string;
  pid: number;
  xdsTarget: string;
  /** From spawn to serving xDS with the whole config loaded, ms. */
  startMs: number;
  /** The last lines it wrote (for a failure report). */
  tail(): string[];
  /** Lines that looked like errors (config rejected, push failed). */
  errors(): string[];
  exited(): boolean;
  stop(): Promise<void>;
  /** Petrel with `--mem`: its heap and external memory now and after a full GC (mem-probe.ts). */
  probe?(): Promise<MemoryProbe | undefined>;
}

export const ISTIOD_BINARY = join(
  process.env.PETREL_INTEROP_CACHE ?? join(homedir(), '.cache', 'petrel-interop'),
  'bin',
  'pilot-discovery',
);

export function istiodAvailable(): boolean {
  return existsSync(ISTIOD_BINARY);
}

const REPO = new URL('../../', import.meta.url).pathname;

function watchOutput(
  child: ChildProcess,
  errorLine: RegExp,
): { tail: string[]; errors: string[]; onLine: (f: (l: string) => void) => void } {
  const tail: string[] = [];
  const errors: string[] = [];
  const listeners: ((l: string) => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (errorLine.test(line) && errors.length < 20) errors.push(line);
        for (const l of listeners) l(line);
      }
    });
  }
  return { tail, errors, onLine: (f) => listeners.push(f) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitUntil(
  what: string,
  child: ChildProcess,
  tail: string[],
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail.join('\n')}`,
      );
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s:\n${tail.join('\n')}`);
}

function handle(
  name: string,
  child: ChildProcess,
  out: ReturnType<typeof watchOutput>,
  xdsTarget: string,
  startMs: number,
): RunningControlPlane {
  return {
    name,
    pid: child.pid!,
    xdsTarget,
    startMs,
    tail: () => [...out.tail],
    errors: () => [...out.errors],
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: () => stopChild(child),
  };
}

/**
 * `petrel pilot --config-dir DIR` on free ports; `nodeFlags` e.g. ['--cpu-prof', '--cpu-prof-dir', D].
 * With `memDir`, mem-probe.ts is preloaded and `probe()` asks it for a memory reading.
 */
export async function startPetrel(
  dir: string,
  debounce: PilotDebounce,
  nodeFlags: string[],
  timeoutMs: number,
  memDir?: string,
): Promise<RunningControlPlane> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (memDir) {
    mkdirSync(memDir, { recursive: true });
    env.PETREL_BENCH_MEM_DIR = memDir;
    nodeFlags = [...nodeFlags, '--expose-gc', '--import', join(REPO, 'bench/pilot/mem-probe.ts')];
  }
  const xdsPort = await freePort();
  const monitoringPort = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(REPO, 'cli/petrel.ts'),
      'pilot',
      '--config-dir',
      dir,
      '--host',
      '127.0.0.1',
      '--xds-port',
      String(xdsPort),
      '--monitoring-port',
      String(monitoringPort),
      '--debounce-after',
      String(debounce.afterMs),
      '--debounce-max',
      String(debounce.maxMs),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO, env },
  );
  const out = watchOutput(child, /^error\t/);
  let ready = false;
  out.onLine((l) => {
    if (/pilot: xDS on /.test(l)) ready = true;
  });
  await waitUntil('petrel pilot', child, out.tail, timeoutMs, async () => ready);
  const running = handle('petrel', child, out, `127.0.0.1:${xdsPort}`, performance.now() - t0);
  if (memDir) running.probe = probeOf(child, memDir, timeoutMs);
  return running;
}

/** Signals mem-probe.ts in the child and waits for the reading it writes. */
function probeOf(child: ChildProcess, memDir: string, timeoutMs: number) {
  let seq = 0;
  return async (): Promise<MemoryProbe | undefined> => {
    const file = join(memDir, `probe-${++seq}.json`);
    child.kill('SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.exitCode === null) {
      if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as MemoryProbe;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  };
}

/**
 * Istio's pilot-discovery reading `dir` (Istio kinds only: the ServiceEntry form
 * of the mesh), run as test/interop/README.md establishes: a fresh working
 * directory (Istio's built-in mesh defaults), no Kubernetes registry, every
 * port on loopback; the same debounce as Petrel. Ready when it logs that its
 * gRPC discovery server started, which it does after the first push context.
 */
export async function startIstiod(
  dir: string,
  debounce: PilotDebounce,
  work: string,
  timeoutMs: number,
): Promise<RunningControlPlane> {
  mkdirSync(work, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PILOT_DEBOUNCE_AFTER: `${debounce.afterMs}ms`,
    PILOT_DEBOUNCE_MAX: `${debounce.maxMs}ms`,
  };
  delete env.KUBECONFIG;
  const t0 = performance.now();
  const child = spawn(
    ISTIOD_BINARY,
    [
      'discovery',
      '--configDir',
      dir,
      '--registries',
      '',
      '--domain',
      'cluster.local',
      '--grpcAddr',
      '127.0.0.1:0',
      '--httpAddr',
      '127.0.0.1:0',
      '--httpsAddr',
      '127.0.0.1:0',
      '--secureGRPCAddr',
      '',
      '--monitoringAddr',
      '127.0.0.1:0',
      '--ctrlz_address',
      '127.0.0.1',
      '--ctrlz_port',
      '0',
      '--shutdownDuration',
      '1s',
      '--log_output_level',
      'default:info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: work, env },
  );
  const out = watchOutput(child, /\terror\t/);
  let target: string | undefined;
  out.onLine((l) => {
    const m = /starting gRPC discovery service at (\S+:\d+)/.exec(l);
    if (m) target = m[1];
  });
  await waitUntil('istiod', child, out.tail, timeoutMs, async () => target !== undefined);
  return handle('istiod', child, out, target!, performance.now() - t0);
}
