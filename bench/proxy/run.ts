// The proxy benchmark (Proxy issue, item 9; mTLS rows: issue 5, item 8): the same
// 1 KB GET through direct, Petrel (one router; two sidecars in a row, plaintext and
// mutual TLS, also with one connection per request), nginx (one, and two in a row
// with and without mTLS), HAProxy, @fastify/http-proxy and a minimal Node
// pass-through. Latency at a fixed rate (fortio), CPU per request and peak RSS
// from /proc, highest rate on one core (wrk). The proxies share one core (one
// configuration at a time under load), the backend, client and pilot the other.
//
//   bash bench/proxy/run.sh            (installs the peers, then runs this)
//   node bench/proxy/run.ts --reps 3 --seconds 15 --max-seconds 8
//   node bench/proxy/run.ts --short --only petrel-2,petrel-2-mtls   (a smoke run)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tools } from './load.ts';
import { runMatrix } from './matrix.ts';
import { telemetryStatus } from './mesh.ts';
import type { TelemetryStatus } from './mesh.ts';
import { serverSecurityCounts, checkSecurity } from './mesh-security.ts';
import { CONFIGS, parseOptions } from './options.ts';
import { startOtlpSink } from './otlp-sink.ts';
import type { Running } from './processes.ts';
import { runProfile } from './profile-run.ts';
import { mtlsDeltaTable } from './report-mtls.ts';
import { summarise, table, verdict } from './report.ts';
import { startConfigs } from './setup.ts';
import { getVia } from './sidecar-pairs.ts';
import type { Setup } from './setup.ts';

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

const o = parseOptions(process.argv.slice(2));
const autogroup = ownSchedulingGroup(o.nice, o.loadCore);

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
const outDir = o.out ?? join(CACHE, 'results');
mkdirSync(outDir, { recursive: true });
const loadPlace = { core: o.loadCore, nice: o.nice };
const proxyPlace = { core: o.proxyCore, nice: o.nice };
const started: Running[] = [];
const keep = <T extends Running>(p: T): T => (started.push(p), p);

const sink = await startOtlpSink();

/**
 * The sidecar pairs' server counts again after the matrix: every request and
 * connection of the run must have arrived as its row claims. A mismatch is one
 * loud line in the results and a non-zero exit, not a silently wrong row.
 */
async function securityAfterRun(s: Setup): Promise<string[]> {
  const lines: string[] = [];
  for (const r of s.pairs) {
    const label = `sidecar pair ${r.pair.namespace}`;
    try {
      const seen = checkSecurity(label, r.pair.kind, await serverSecurityCounts(r.serverStatsPort));
      lines.push(
        `${label} (${r.pair.kind === 'mtls' ? 'mTLS' : 'plaintext'}): the server sidecar counted ${seen}`,
      );
    } catch (err) {
      process.exitCode = 1;
      lines.push(`**${label}: ${(err as Error).message} — its rows are NOT what they say**`);
      log(`ERROR ${(err as Error).message}`);
    }
  }
  if (s.nginxPair)
    lines.push(
      `nginx pair: /tls-check through the plaintext entry "${s.nginxPair.plainCheck}", through the mTLS entry "${s.nginxPair.tlsCheck}"`,
    );
  return lines;
}

function features(
  s: Setup,
  telemetry: Awaited<ReturnType<typeof telemetryStatus>> | undefined,
): string {
  if (!telemetry) return 'not checked';
  const tracing =
    'tracingEndpoint' in s.tracing
      ? `given (sampling ${o.tracingSampling}%), ${sink.exports()} OTLP exports (${sink.spans()} spans, ${sink.bytes()} bytes) received`
      : s.flags.has('tracing-endpoint')
        ? 'not given (--no-tracing)'
        : 'not offered by this build';
  return `metrics (istio_requests_total at /stats/prometheus) ${telemetry.metrics ? 'on' : 'off'}; trace context added upstream ${telemetry.tracing ? 'yes' : 'no'}; tracing endpoint ${tracing}; x-request-id ${telemetry.requestId ? 'on' : 'off'}; peer metadata exchange ${telemetry.peerMetadata ? 'on' : 'off'}; access log off (Istio's default)`;
}

/** Telemetry through the router when it runs, else through the first sidecar pair. */
async function telemetrySeen(s: Setup): Promise<TelemetryStatus | undefined> {
  if (s.single) {
    const probe = await (await fetch(`http://127.0.0.1:${s.single.port}/probe`)).text();
    return telemetryStatus(probe, s.single);
  }
  const r = s.pairs[0];
  if (!r) return undefined;
  const probe = await getVia(r.pair.clientBind, r.pair.httpPort, '/probe', { host: r.pair.host });
  return telemetryStatus(probe?.body.toString() ?? '', r.clientPorts);
}

async function main(): Promise<void> {
  const loadStart = loadavg();
  log(`work dir ${work}; load average ${loadStart}${o.short ? '; SHORT (smoke) run' : ''}`);
  const s = await startConfigs(
    o,
    work,
    { load: loadPlace, proxy: proxyPlace },
    sink.url,
    keep,
    log,
  );
  const telemetry = await telemetrySeen(s);
  log(`telemetry seen from outside: ${JSON.stringify(telemetry)}`);

  const results = await runMatrix(s.configs, {
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
  const security = await securityAfterRun(s);

  let profile = '';
  if (o.profileSeconds > 0 && s.single) {
    await s.single.stop();
    const pt = s.configs.find((c) => c.key === 'passthrough');
    for (const p of pt?.procs ?? []) await p.stop();
    profile = await runProfile({
      tools: t,
      load: loadPlace,
      proxy: proxyPlace,
      xds: s.xds,
      ports: s.singlePorts,
      flags: s.flags,
      tracing: s.tracing,
      passthrough: pt ? { port: s.passthroughPort, backendPort: s.backendPort } : undefined,
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
  const rows = summarise(results, s.configs[0]!.name);
  const deltas = mtlsDeltaTable(results, rows);
  const when = new Date().toISOString();
  const md = [
    `### ${when.slice(0, 16).replace('T', ' ')} UTC${o.short ? ' — SHORT SMOKE RUN (--short), not results' : ''}`,
    '',
    `${o.reps} interleaved repetitions, medians; ${o.qps} rps for ${o.seconds} s over ${o.connections} keep-alive connections (fortio -uniform, after ${o.warmup} s warm-up); new-connection rows ${o.connQps} connections/s; highest rate by wrk, 1 thread, ${o.maxConnections} connections, ${o.maxSeconds} s. GET, 1 KB response body. Proxies on core ${o.proxyCore}; backend (nginx static), client and pilot on core ${o.loadCore}; nice ${o.nice} (${autogroup}).${o.petrelNodeFlags.length ? ` Petrel proxies run with Node flags ${o.petrelNodeFlags.join(' ')}.` : ''}${process.env.PETREL_PROXY_NODE_FLAGS !== undefined ? ` PETREL_PROXY_NODE_FLAGS="${process.env.PETREL_PROXY_NODE_FLAGS}" (the proxies' own V8 flags; empty: V8's defaults).` : ''} Load average ${loadStart} at start, ${loadEnd} at end.`,
    '',
    table(rows),
    '',
    ...(deltas ? [deltas, ''] : []),
    `Petrel features, seen from outside: ${features(s, telemetry)}.`,
    '',
    ...(security.length
      ? [`Mesh security, seen from outside after the run: ${security.join('; ')}.`, '']
      : []),
    verdict(rows, {
      petrel: CONFIGS.petrel,
      mtlsPair: CONFIGS['petrel-2-mtls'],
      passthrough: CONFIGS.passthrough,
      fastify: CONFIGS.fastify,
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
        options: { ...o, selected: [...o.selected] },
        telemetry,
        security,
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
