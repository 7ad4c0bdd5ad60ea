// The proxy benchmark (Proxy issue, item 9): the same 1 KB GET through direct,
// Petrel (one proxy, two chained), nginx, HAProxy, @fastify/http-proxy and a
// minimal Node pass-through. Latency at a fixed rate (fortio), CPU per request and
// peak RSS from /proc, highest rate on one core (wrk). The proxies share one core
// (one at a time under load), the backend, client and pilot the other.
//
//   bash bench/proxy/run.sh            (installs the peers, then runs this)
//   node bench/proxy/run.ts --reps 3 --seconds 15 --max-seconds 8
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Tools } from './load.ts';
import { runMatrix } from './matrix.ts';
import type { Config } from './matrix.ts';
import {
  proxyFlags,
  startPetrelProxy,
  startPilot,
  telemetryStatus,
  writeMeshConfig,
} from './mesh.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { pickPorts } from './ports.ts';
import type { PetrelProxy } from './mesh.ts';
import { startBackend, startHaproxy, startNginxProxy, startNodePeer } from './peers.ts';
import type { Running } from './processes.ts';
import { runProfile } from './profile-run.ts';
import { summarise, table, verdict } from './report.ts';

const USAGE = `usage: node bench/proxy/run.ts [options]
  --reps N            interleaved repetitions of every configuration (default 3)
  --qps N             the fixed rate (default 1000)
  --seconds N         fixed-rate run length (default 15), after a --warmup (default 2) run
  --connections N     fortio connections at the fixed rate (default 8)
  --max-seconds N     wrk run length for the highest rate (default 8)
  --max-connections N wrk connections (default 32)
  --only a,b          only these of petrel, petrel-x2, nginx, haproxy, fastify, passthrough (direct always runs)
  --load-core N       core of the backend, the load generators and pilot (default 0)
  --proxy-core N      core of the proxies under test (default 1)
  --nice N            nice value of every process of the benchmark (default -20: the machine is shared, and at
                      equal priority the other work takes most of both cores)
  --profile-seconds N wrk run under --cpu-prof on a fresh Petrel proxy (default 10; 0 skips)
  --tracing-sampling P  Petrel's trace sampling percentage, spans sent to an OTLP sink here (default 1, Istio's)
  --no-tracing        run Petrel without a tracing endpoint
  --petrel-node-flags="F …"  Node flags for the Petrel proxies, to try tunings (write it with =,
                      e.g. --petrel-node-flags="--max-semi-space-size=1")
  --out DIR           where results (JSON, Markdown, profile) go (default ~/.cache/petrel-bench/results)`;

/**
 * Linux puts each session in its own scheduling autogroup and weighs the groups
 * against each other, so a process's nice value counts only inside its session:
 * a nice -20 proxy still waited on the run queue most of the time here while other
 * sessions were busy. So the benchmark runs as a session of its own (re-exec
 * under setsid) and gives that session's autogroup the nice value.
 */
function ownSchedulingGroup(nice: number, core: number): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  if (session !== process.pid && !process.env.PETREL_BENCH_NO_SETSID) {
    // Pinned to the load core as well: the runner must not steal from the proxies.
    const r = spawnSync(
      'setsid',
      [
        '-w',
        'taskset',
        '-c',
        String(core),
        process.execPath,
        ...process.execArgv,
        ...process.argv.slice(1),
      ],
      { stdio: 'inherit' },
    );
    process.exit(r.status ?? 1);
  }
  try {
    writeFileSync('/proc/self/autogroup', String(nice));
    return readFileSync('/proc/self/autogroup', 'utf8').trim();
  } catch (err) {
    return `autogroup not set (${(err as Error).message})`;
  }
}

const REPO = new URL('../../', import.meta.url).pathname;
const CACHE = process.env.PETREL_BENCH_CACHE ?? join(homedir(), '.cache', 'petrel-bench');

const { values } = parseArgs({
  options: Object.fromEntries(
    [
      'reps',
      'qps',
      'seconds',
      'warmup',
      'connections',
      'max-seconds',
      'max-connections',
      'only',
      'load-core',
      'proxy-core',
      'nice',
      'profile-seconds',
      'tracing-sampling',
      'petrel-node-flags',
      'out',
      'help',
      'no-tracing',
    ].map((k) => [k, { type: k === 'help' || k === 'no-tracing' ? 'boolean' : 'string' }] as const),
  ),
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function bad(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function num(name: string, def: number, min = 0): number {
  const raw = values[name];
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    bad(`--${name} ${String(raw)}: want a whole number ≥ ${min}`);
  return n;
}

const o = {
  reps: num('reps', 3, 1),
  qps: num('qps', 1000, 1),
  seconds: num('seconds', 15, 1),
  warmup: num('warmup', 2, 1),
  connections: num('connections', 8, 1),
  maxSeconds: num('max-seconds', 8, 1),
  maxConnections: num('max-connections', 32, 1),
  loadCore: num('load-core', 0),
  proxyCore: num('proxy-core', 1),
  nice: values.nice === undefined ? -20 : Number(values.nice),
  profileSeconds: num('profile-seconds', 10),
  tracingSampling: values['no-tracing'] ? undefined : Number(values['tracing-sampling'] ?? 1),
};
if (!Number.isInteger(o.nice) || o.nice < -20 || o.nice > 19)
  bad(`--nice ${String(values.nice)}: want a whole number from -20 to 19`);
if (o.tracingSampling !== undefined && !(o.tracingSampling >= 0 && o.tracingSampling <= 100))
  bad(`--tracing-sampling ${String(values['tracing-sampling'])}: want a percentage from 0 to 100`);
const CONFIG_NAMES = ['petrel', 'petrel-x2', 'nginx', 'haproxy', 'fastify', 'passthrough'];
const only = values.only ? new Set((values.only as string).split(',')) : undefined;
for (const n of only ?? [])
  if (!CONFIG_NAMES.includes(n))
    bad(`--only ${String(values.only)}: "${n}" is not one of ${CONFIG_NAMES.join(', ')}`);
const petrelNodeFlags = ((values['petrel-node-flags'] as string | undefined) ?? '')
  .split(/\s+/)
  .filter(Boolean);
for (const f of petrelNodeFlags)
  if (!f.startsWith('--')) bad(`--petrel-node-flags: "${f}" is not a Node flag`);
const autogroup = ownSchedulingGroup(o.nice, o.loadCore);
const wanted = (name: string) => !only || only.has(name);

function onPath(name: string): string {
  const dirs = `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin`.split(':').filter(Boolean);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p)) ?? name;
}

function tools(): Tools {
  const fortio = process.env.PETREL_BENCH_FORTIO ?? join(CACHE, 'bin', 'fortio');
  const wrk = onPath('wrk');
  for (const [what, path] of [
    ['fortio', fortio],
    ['wrk', wrk],
    ['nginx', onPath('nginx')],
    ['haproxy', onPath('haproxy')],
  ])
    if (!existsSync(path)) {
      console.error(
        `petrel bench: ${what} not found at ${path}; run bash bench/proxy/run.sh (it installs the peers)`,
      );
      process.exit(2);
    }
  return { fortio, wrk };
}

/** First line a tool prints about its version (nginx and wrk print it on stderr, wrk exits 1). */
function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim() || 'unknown';
}

const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const t = tools();
const work = mkdtempSync(join(tmpdir(), 'petrel-bench-proxy-'));
const outDir = (values.out as string | undefined) ?? join(CACHE, 'results');
mkdirSync(outDir, { recursive: true });
const loadPlace = { core: o.loadCore, nice: o.nice };
const proxyPlace = { core: o.proxyCore, nice: o.nice };
const started: Running[] = [];
const keep = <T extends Running>(p: T): T => (started.push(p), p);

const sink = await startOtlpSink();

async function main(): Promise<void> {
  const loadStart = loadavg();
  log(`work dir ${work}; load average ${loadStart}`);
  const ports = await pickPorts([
    'backend',
    'nginx',
    'haproxy',
    'fastify',
    'passthrough',
    'single',
    'hopA',
    'hopB',
    'xds',
    'monitoring',
    ...(['single', 'hopA', 'hopB'] as const).flatMap((h) =>
      (['admin', 'status', 'health', 'stats'] as const).map((k) => `${h}-${k}` as const),
    ),
  ]);
  const proxyPorts = (h: 'single' | 'hopA' | 'hopB') => ({
    gateway: ports[h],
    admin: ports[`${h}-admin`],
    status: ports[`${h}-status`],
    health: ports[`${h}-health`],
    stats: ports[`${h}-stats`],
  });
  keep(await startBackend(join(work, 'backend'), ports.backend, loadPlace));
  const url = (port: number) => `http://127.0.0.1:${port}/`;
  const configs: Config[] = [
    { name: 'direct (no proxy)', hops: 0, url: url(ports.backend), procs: [], maxRun: false },
  ];
  const add = (name: string, hops: number, port: number, procs: Running[]) =>
    configs.push({ name, hops, url: url(port), procs, maxRun: true });

  let single: PetrelProxy | undefined;
  let xds = '';
  const flags = proxyFlags();
  const tracing = {
    ...(o.tracingSampling !== undefined && flags.has('tracing-endpoint')
      ? { tracingEndpoint: sink.url, tracingSampling: o.tracingSampling }
      : {}),
    nodeFlags: petrelNodeFlags,
  };
  if (wanted('petrel') || wanted('petrel-x2')) {
    writeMeshConfig(join(work, 'mesh'), ports);
    const pilot = await startPilot(join(work, 'mesh'), ports, loadPlace);
    keep(pilot.proc);
    xds = pilot.xds;
    log(`pilot ${pilot.proc.pid} on ${xds}`);
  }
  if (wanted('petrel')) {
    single = keep(
      await startPetrelProxy(
        { name: 'single', ports: proxyPorts('single'), xds, place: proxyPlace, ...tracing },
        flags,
      ),
    );
    add('Petrel, 1 proxy', 1, ports.single, [single]);
  }
  if (wanted('petrel-x2')) {
    const b = keep(
      await startPetrelProxy(
        { name: 'hop-b', ports: proxyPorts('hopB'), xds, place: proxyPlace, ...tracing },
        flags,
      ),
    );
    const a = keep(
      await startPetrelProxy(
        { name: 'hop-a', ports: proxyPorts('hopA'), xds, place: proxyPlace, ...tracing },
        flags,
      ),
    );
    add('Petrel, 2 proxies chained', 2, ports.hopA, [a, b]);
  }
  if (wanted('nginx'))
    add('nginx, 1 worker', 1, ports.nginx, [
      keep(await startNginxProxy(join(work, 'nginx'), ports.nginx, ports.backend, proxyPlace)),
    ]);
  if (wanted('haproxy'))
    add('HAProxy, 1 thread', 1, ports.haproxy, [
      keep(await startHaproxy(join(work, 'haproxy'), ports.haproxy, ports.backend, proxyPlace)),
    ]);
  if (wanted('fastify'))
    add('@fastify/http-proxy', 1, ports.fastify, [
      keep(
        await startNodePeer(
          'fastify',
          'fastify-proxy.ts',
          ports.fastify,
          ports.backend,
          proxyPlace,
        ),
      ),
    ]);
  if (wanted('passthrough'))
    add('minimal Node pass-through (undici Pool)', 1, ports.passthrough, [
      keep(
        await startNodePeer(
          'passthrough',
          'passthrough.ts',
          ports.passthrough,
          ports.backend,
          proxyPlace,
        ),
      ),
    ]);

  const telemetry = single ? await telemetryStatus(single) : undefined;
  log(`telemetry seen from outside: ${JSON.stringify(telemetry)}`);

  const results = await runMatrix(configs, {
    tools: t,
    load: loadPlace,
    proxyCore: o.proxyCore,
    reps: o.reps,
    qps: o.qps,
    seconds: o.seconds,
    warmupSeconds: o.warmup,
    connections: o.connections,
    maxSeconds: o.maxSeconds,
    maxConnections: o.maxConnections,
    workDir: work,
    log,
  });
  const loadEnd = loadavg();

  let profile = '';
  if (o.profileSeconds > 0 && single) {
    await single.stop();
    const pt = configs.find((c) => c.name.startsWith('minimal Node'));
    for (const p of pt?.procs ?? []) await p.stop();
    profile = await runProfile({
      tools: t,
      load: loadPlace,
      proxy: proxyPlace,
      xds,
      ports: proxyPorts('single'),
      flags,
      tracing,
      passthrough: pt ? { port: ports.passthrough, backendPort: ports.backend } : undefined,
      seconds: o.profileSeconds,
      maxConnections: o.maxConnections,
      dir: join(outDir, `profile-${Date.now()}`),
      log,
    });
  }

  const memory = spawnSync(process.execPath, ['--expose-gc', join(REPO, 'bench/proxy/memory.ts')], {
    encoding: 'utf8',
    cwd: REPO,
  }).stdout;
  const rows = summarise(results, configs[0]!.name);
  const when = new Date().toISOString();
  const md = [
    `### ${when.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${o.reps} interleaved repetitions, medians; ${o.qps} rps for ${o.seconds} s over ${o.connections} keep-alive connections (fortio -uniform, after ${o.warmup} s warm-up); highest rate by wrk, 1 thread, ${o.maxConnections} connections, ${o.maxSeconds} s. GET, 1 KB response body. Proxies on core ${o.proxyCore}; backend (nginx static), client and pilot on core ${o.loadCore}; nice ${o.nice} (${autogroup}).${petrelNodeFlags.length ? ` Petrel proxies run with Node flags ${petrelNodeFlags.join(' ')}.` : ''} Load average ${loadStart} at start, ${loadEnd} at end.`,
    '',
    table(rows),
    '',
    `Petrel features, seen from outside: ${telemetry ? `metrics (istio_requests_total at /stats/prometheus) ${telemetry.metrics ? 'on' : 'off'}; trace context added upstream ${telemetry.tracing ? 'yes' : 'no'}; tracing endpoint ${'tracingEndpoint' in tracing ? `given (sampling ${o.tracingSampling}%), ${sink.exports()} OTLP exports (${sink.spans()} spans, ${sink.bytes()} bytes) received` : flags.has('tracing-endpoint') ? 'not given (--no-tracing)' : 'not offered by this build'}; x-request-id ${telemetry.requestId ? 'on' : 'off'}; peer metadata exchange ${telemetry.peerMetadata ? 'on' : 'off'}; access log off (Istio's default)` : 'not checked'}.`,
    '',
    verdict(rows, {
      petrel: 'Petrel, 1 proxy',
      chain: 'Petrel, 2 proxies chained',
      passthrough: 'minimal Node pass-through (undici Pool)',
      fastify: '@fastify/http-proxy',
    }),
    '',
    'What a Petrel proxy holds before its first request (bench/proxy/memory.ts; each line adds to the ones above, so the order decides what a shared dependency is charged to):',
    '',
    memory.trim(),
    '',
    `Versions: ${[version(process.execPath, ['-v']).replace(/^v/, 'node '), version('nginx', ['-v']), version('haproxy', ['-v']), version(t.fortio, ['version']).replace(/^/, 'fortio '), version(t.wrk, ['-v'])].join('; ')}.`,
  ].join('\n');
  console.log(md);
  if (profile) console.log(`\n#### Petrel proxy profile at its highest rate\n\n${profile}`);
  const stamp = when.replace(/[:.]/g, '-');
  writeFileSync(
    join(outDir, `proxy-${stamp}.json`),
    JSON.stringify(
      {
        when,
        options: o,
        telemetry,
        rows,
        results: results.map((r) => ({
          ...r,
          config: { ...r.config, procs: r.config.procs.map((p) => p.pid) },
        })),
      },
      null,
      1,
    ),
  );
  writeFileSync(join(outDir, `proxy-${stamp}.md`), `${md}\n\n${profile}\n`);
  log(`results in ${join(outDir, `proxy-${stamp}.{json,md}`)}`);
}

try {
  await main();
} catch (err) {
  console.error(`petrel bench: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  for (const p of started.reverse()) {
    log(`stopping ${p.name} (${p.pid})`);
    await p.stop(5000);
  }
  await sink.close();
  rmSync(work, { recursive: true, force: true });
}
