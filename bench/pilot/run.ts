// pilot's benchmark: translation time, full-push and endpoint-change latency to M
// simulated Envoy sidecars, and pilot's CPU and memory, on a generated mesh of N
// services; side by side with Istio's pilot-discovery when it has been built.
//
//   node bench/pilot/run.ts --services 100 --proxies 50 --reps 5
//   node bench/pilot/run.ts --services 1000 --proxies 500 --timeout 300
//
// Prints a Markdown table (see bench/README.md for measured ones and what bounds them).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { writeMesh } from './mesh-input.ts';
import type { InputMode, MeshShape } from './mesh-input.ts';
import { ISTIOD_BINARY, istiodAvailable, startIstiod, startPetrel } from './pilot-process.ts';
import type { PilotDebounce, RunningControlPlane } from './pilot-process.ts';
import { table } from './report.ts';
import type { Column } from './report.ts';
import { runScenario } from './scenario.ts';
import { measureTranslation } from './translate-time.ts';
import { shorten, summarise, type Profile } from '../support/cpu-profile.ts';
import { phaseReport, type PhaseWindow } from './profile-phases.ts';

const USAGE = `usage: node bench/pilot/run.ts [--services N] [--proxies M] [--reps R]
  --services N         services in the generated mesh (default 100)
  --proxies M          simulated Envoy sidecars (default 50)
  --reps R             repetitions of each change (default 5)
  --namespaces K       namespaces the services and proxies spread over (default max(2, N/100))
  --client-procs P     processes holding the proxies (default 1)
  --timeout S          time limit of each phase, seconds (default 300)
  --translate-runs T   runs of the in-process translation measure (default 5)
  --debounce-after MS  pilot's quiet time before a push (default 100, Istio's PILOT_DEBOUNCE_AFTER)
  --debounce-max MS    pilot's longest debounce (default 1000)
  --input kube|serviceentry   the mesh form for Petrel's own column (default kube)
  --no-istiod          skip the istiod comparison even when it is built
  --profile DIR        run Petrel's pilot with --cpu-prof into DIR and print where its time went
  --mem DIR            preload bench/pilot/mem-probe.ts into Petrel's pilot: heap and external
                       memory after the sync and at the end (PETREL_BENCH_HEAPSNAP=1: heap snapshots too)
  --keep               keep the generated config dir`;

function intFlag(values: Record<string, unknown>, name: string, def: number): number {
  const raw = values[name];
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} ${String(raw)}: want a whole number\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    services: { type: 'string' },
    proxies: { type: 'string' },
    reps: { type: 'string' },
    namespaces: { type: 'string' },
    'client-procs': { type: 'string' },
    timeout: { type: 'string' },
    'translate-runs': { type: 'string' },
    'debounce-after': { type: 'string' },
    'debounce-max': { type: 'string' },
    input: { type: 'string' },
    'no-istiod': { type: 'boolean' },
    profile: { type: 'string' },
    mem: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean' },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const services = intFlag(values, 'services', 100);
const proxies = intFlag(values, 'proxies', 50);
const reps = intFlag(values, 'reps', 5);
const namespaces = intFlag(values, 'namespaces', Math.max(2, Math.round(services / 100)));
const clientProcesses = intFlag(values, 'client-procs', 1);
const phaseTimeoutMs = intFlag(values, 'timeout', 300) * 1000;
const translateRuns = intFlag(values, 'translate-runs', 5);
const debounce: PilotDebounce = {
  afterMs: intFlag(values, 'debounce-after', 100),
  maxMs: intFlag(values, 'debounce-max', 1000),
};
const input = (values.input ?? 'kube') as InputMode;
if (input !== 'kube' && input !== 'serviceentry') {
  console.error(`--input ${input}: want kube or serviceentry`);
  process.exit(2);
}
if (services < 2 || proxies < 1 || namespaces < 1) {
  console.error(`need --services ≥ 2, --proxies ≥ 1, --namespaces ≥ 1\n${USAGE}`);
  process.exit(2);
}

const log = (line: string) => console.error(line);
/** Which tree was measured: the commit, and whether pilot/ or api/ had uncommitted changes. */
function treeNote(): string {
  const git = (...args: string[]) =>
    spawnSync('git', args, {
      cwd: new URL('../../', import.meta.url).pathname,
      encoding: 'utf8',
    }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'pilot', 'api', 'cli')
    .split('\n')
    .filter(Boolean).length;
  return dirty > 0 ? `${commit} + ${dirty} uncommitted files in pilot/api/cli` : commit;
}
/** The 1-minute load average: on shared machines, how much others competed for the cores. */
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
const loadAtStart = loadAverage();
const work = mkdtempSync(join(tmpdir(), 'petrel-bench-pilot-'));
const startedAt = new Date();

async function petrelColumn(title: string, mode: InputMode, revBase: number): Promise<Column> {
  const shape: MeshShape = { services, namespaces, mode };
  const dir = join(work, mode);
  const refs = writeMesh(dir, shape);
  log(`${title}: ${services} services in ${namespaces} namespaces (${mode}) written to ${dir}`);
  const translate = await measureTranslation(dir, namespaces, translateRuns);
  if (translate.diagnostics.length > 0)
    log(`  config problems:\n    ${translate.diagnostics.slice(0, 5).join('\n    ')}`);
  log(
    `  translation: ${translate.totalMs.toFixed(0)} ms for one proxy (build ${translate.buildMs.toFixed(0)}, generate ${translate.generateFirstMs.toFixed(0)}, encode ${translate.encodeMs.toFixed(0)})`,
  );
  const profileDir = values.profile ? join(values.profile, mode) : undefined;
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const memDir = values.mem ? join(values.mem, mode) : undefined;
  const cp = await startPetrel(dir, debounce, nodeFlags, phaseTimeoutMs, memDir);
  log(`  petrel pilot pid ${cp.pid} serving on ${cp.xdsTarget} after ${cp.startMs.toFixed(0)} ms`);
  const scenario = await runMeasured(cp, dir, shape, refs, revBase);
  if (profileDir) printProfile(profileDir, scenario.phases);
  return { title, translate, scenario };
}

async function runMeasured(
  cp: RunningControlPlane,
  dir: string,
  shape: MeshShape,
  refs: ReturnType<typeof writeMesh>,
  revBase: number,
) {
  try {
    return await runScenario(cp, {
      dir,
      shape,
      services: refs,
      proxies,
      reps,
      clientProcesses,
      phaseTimeoutMs,
      revBase,
      log,
    });
  } finally {
    await cp.stop();
    for (const e of cp.errors().slice(0, 5)) log(`  ${cp.name} said: ${e}`);
  }
}

function printProfile(dir: string, phases: readonly PhaseWindow[]): void {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const s = summarise(profile);
    log(`\nprofile ${join(dir, f)}: ${s.totalMs.toFixed(0)} ms busy`);
    for (const r of s.byStage)
      log(
        `  ${r.ms.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`,
      );
    log('  by file:');
    for (const r of s.byFile.slice(0, 15))
      log(
        `  ${r.ms.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`,
      );
    log('  by function:');
    for (const r of s.byFunction.slice(0, 15))
      log(
        `  ${r.ms.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${shorten(r.name)}`,
      );
    for (const line of phaseReport(profile, phases)) log(line);
  }
}

async function istiodColumn(revBase: number): Promise<Column> {
  const shape: MeshShape = { services, namespaces, mode: 'serviceentry' };
  const dir = join(work, 'istiod-serviceentry');
  const refs = writeMesh(dir, shape);
  const cp = await startIstiod(dir, debounce, join(work, 'istiod-work'), phaseTimeoutMs);
  log(
    `istiod (serviceentry): pid ${cp.pid} serving on ${cp.xdsTarget} after ${cp.startMs.toFixed(0)} ms`,
  );
  return {
    title: 'istiod, ServiceEntry input',
    scenario: await runMeasured(cp, dir, shape, refs, revBase),
  };
}

const columns: Column[] = [];
let istiodNote: string | undefined;
try {
  columns.push(
    await petrelColumn(
      `petrel, ${input === 'kube' ? 'Service+EndpointSlice' : 'ServiceEntry'} input`,
      input,
      0,
    ),
  );
  if (values['no-istiod']) istiodNote = 'istiod: skipped (--no-istiod)';
  else if (!istiodAvailable()) istiodNote = 'istiod: not built (see test/interop/README.md)';
  else {
    if (input !== 'serviceentry')
      columns.push(await petrelColumn('petrel, ServiceEntry input', 'serviceentry', 1000));
    try {
      columns.push(await istiodColumn(2000));
    } catch (err) {
      istiodNote = `istiod: failed to run (${ISTIOD_BINARY}): ${(err as Error).message.split('\n')[0]}`;
    }
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else log(`config kept in ${work}`);
}
if (istiodNote) columns.push({ title: 'istiod', note: istiodNote });

const wall = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0);
console.log(
  `\npilot benchmark ${startedAt.toISOString()} (tree ${treeNote()}): N=${services} services (3 endpoints each, VirtualService + DestinationRule each) in ${namespaces} namespaces, ` +
    `M=${proxies} sidecars over ${clientProcesses} client process(es), R=${reps}, debounce ${debounce.afterMs}/${debounce.maxMs} ms, phase limit ${phaseTimeoutMs / 1000} s, wall ${wall} s, ` +
    `load average ${loadAtStart} at start / ${loadAverage()} at end (${availableParallelism()} cores)\n`,
);
console.log(table(columns));
if (istiodNote) console.log(`\n${istiodNote}`);
