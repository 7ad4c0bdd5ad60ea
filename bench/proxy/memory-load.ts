// Where a Petrel proxy's memory goes under load, next to the minimal pass-through:
// RSS (and its anonymous/file split), node's process.memoryUsage() and V8's heap
// spaces, read through the inspector (no hook in the proxy), idle → at a fixed
// rate → at the highest rate → idle again, plus CPU per request in each phase.
// Optional heap snapshots at the highest rate (taking one adds ~50 MiB of RSS, so
// the rows after it are not comparable). Same placement as run.ts, nice 0.
//   node bench/proxy/memory-load.ts [--petrel-node-flags="…"] [--passthrough-node-flags="…"]
//        [--qps 1000] [--seconds 15] [--max-seconds 8] [--snapshots DIR]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleProcess } from '../support/proc-stats.ts';
import { connectInspector, MEMORY_SPLIT_EXPR } from './inspector.ts';
import type { Inspector, MemorySplit } from './inspector.ts';
import { fixedRate, maxRate } from './load.ts';
import { proxyFlags, startPetrelProxy, startPilot, writeMeshConfig } from './mesh.ts';
import { startBackend, startNodePeer } from './peers.ts';
import { pickPorts } from './ports.ts';
import type { Running } from './processes.ts';

const { values: v } = parseArgs({
  options: {
    'petrel-node-flags': { type: 'string', default: '' },
    'passthrough-node-flags': { type: 'string', default: '' },
    qps: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '15' },
    'max-seconds': { type: 'string', default: '8' },
    snapshots: { type: 'string' },
    only: { type: 'string', default: 'petrel,passthrough' },
    /** Print the proxy's last output lines halfway through the highest rate (with --trace-gc). */
    tail: { type: 'boolean', default: false },
  },
});
const flagsOf = (s: string) => s.split(/\s+/).filter(Boolean);
const CACHE = join(homedir(), '.cache', 'petrel-bench');
const tools = { fortio: join(CACHE, 'bin', 'fortio'), wrk: '/usr/bin/wrk' };
const load = { core: 0, nice: 0 };
const proxy = { core: 1, nice: 0 };
const work = mkdtempSync(join(tmpdir(), 'petrel-bench-mem-'));
const keep: Running[] = [];
const log = (s: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${s}`);

function smaps(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(
    /^(VmRSS|VmHWM|RssAnon|RssFile):\s+(\d+) kB/gm,
  ))
    out[m[1]!] = Number(m[2]) / 1024;
  return out;
}

interface Row {
  phase: string;
  proc: Record<string, number>;
  split?: MemorySplit;
  cpuMsPerReq?: number;
  rps?: number;
}

async function phases(name: string, p: Running, url: string, insp?: Inspector): Promise<Row[]> {
  const rows: Row[] = [];
  const snap = async (phase: string, extra: Partial<Row> = {}) => {
    const split = insp ? await insp.evaluate<MemorySplit>(MEMORY_SPLIT_EXPR) : undefined;
    rows.push({ phase, proc: smaps(p.pid), split, ...extra });
  };
  await new Promise((r) => setTimeout(r, 3000));
  await snap('idle');
  const qps = Number(v.qps);
  await fixedRate(tools, load, url, { qps, seconds: 2, connections: 8, workDir: work, tag: 'w' });
  let c0 = sampleProcess(p.pid)!.cpuSeconds;
  const f = await fixedRate(tools, load, url, {
    ...{ qps, seconds: Number(v.seconds), connections: 8, workDir: work, tag: `${name}-fixed` },
  });
  await snap(`after ${qps} rps`, {
    cpuMsPerReq: ((sampleProcess(p.pid)!.cpuSeconds - c0) * 1000) / f.requests,
    rps: f.actualQps,
  });
  c0 = sampleProcess(p.pid)!.cpuSeconds;
  const seconds = Number(v['max-seconds']);
  const during = (async () => {
    // Halfway through the highest rate: the heap as it is while carrying load.
    await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
    await snap('during max');
    if (v.tail) for (const line of p.tail()) log(`${name}: ${line}`);
    if (v.snapshots && insp) {
      const file = join(v.snapshots, `${name}-max.heapsnapshot`);
      await insp.heapSnapshot(file);
      log(`heap snapshot ${file}`);
    }
  })();
  const m = await maxRate(tools, load, url, { seconds, connections: 32 });
  await during;
  await snap('after max', {
    cpuMsPerReq: ((sampleProcess(p.pid)!.cpuSeconds - c0) * 1000) / m.requests,
    rps: m.rps,
  });
  await new Promise((r) => setTimeout(r, 5000));
  await snap('idle 5 s later');
  return rows;
}

function print(name: string, rows: Row[]): void {
  const f = (x: number | undefined, d = 1) => (x === undefined ? '—' : x.toFixed(d));
  console.log(`\n#### ${name}\n`);
  console.log(
    '| phase | VmRSS / VmHWM | RssAnon / RssFile | heap used / total | new space used / committed | old space used / committed | code space | external / arrayBuffers | CPU ms/req | rps |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const s = r.split;
    const sp = (k: string) => s?.spaces[k];
    console.log(
      `| ${r.phase} | ${f(r.proc.VmRSS)} / ${f(r.proc.VmHWM)} | ${f(r.proc.RssAnon)} / ${f(r.proc.RssFile)} | ${f(s?.heapUsed)} / ${f(s?.heapTotal)} | ${f(sp('new_space')?.[1])} / ${f(sp('new_space')?.[0])} | ${f(sp('old_space')?.[1])} / ${f(sp('old_space')?.[0])} | ${f(sp('code_space')?.[0])} | ${f(s?.external)} / ${f(s?.arrayBuffers)} | ${f(r.cpuMsPerReq, 4)} | ${f(r.rps, 0)} |`,
    );
  }
}

try {
  const only = new Set(v.only.split(','));
  const ports = await pickPorts([
    ...(['backend', 'single', 'hopA', 'hopB', 'xds', 'monitoring', 'passthrough'] as const),
    ...(['admin', 'status', 'health', 'stats', 'inspectPetrel', 'inspectPass'] as const),
  ]);
  keep.push(await startBackend(join(work, 'backend'), ports.backend, load));
  log(`load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  if (only.has('petrel')) {
    writeMeshConfig(join(work, 'mesh'), {
      ...{ single: ports.single, hopA: ports.hopA, hopB: ports.hopB, backend: ports.backend },
    });
    const pilot = await startPilot(
      join(work, 'mesh'),
      { xds: ports.xds, monitoring: ports.monitoring },
      load,
    );
    keep.push(pilot.proc);
    const nodeFlags = [
      `--inspect=127.0.0.1:${ports.inspectPetrel}`,
      ...flagsOf(v['petrel-node-flags']),
    ];
    const single = await startPetrelProxy(
      {
        ...{ name: 'single', xds: pilot.xds, place: proxy, nodeFlags },
        ports: { ...ports, gateway: ports.single },
      },
      proxyFlags(),
    );
    keep.push(single);
    const insp = await connectInspector(ports.inspectPetrel);
    print(
      `Petrel, 1 proxy ${v['petrel-node-flags']}`,
      await phases('petrel', single, `http://127.0.0.1:${ports.single}/`, insp),
    );
    insp.close();
  }
  if (only.has('passthrough')) {
    const pass = await startNodePeer(
      'passthrough',
      'passthrough.ts',
      ports.passthrough,
      ports.backend,
      proxy,
      [`--inspect=127.0.0.1:${ports.inspectPass}`, ...flagsOf(v['passthrough-node-flags'])],
    );
    keep.push(pass);
    const insp = await connectInspector(ports.inspectPass);
    print(
      `pass-through ${v['passthrough-node-flags']}`,
      await phases('passthrough', pass, `http://127.0.0.1:${ports.passthrough}/`, insp),
    );
    insp.close();
  }
  log(`load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
} finally {
  for (const p of keep.reverse()) await p.stop(5000);
  rmSync(work, { recursive: true, force: true });
}
