// The load generators: fortio paces a fixed request rate (latency), wrk finds the
// highest rate (throughput). Both run pinned next to the backend, never on the
// proxy's core.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError, startPinned } from './processes.ts';
import type { Placement } from './processes.ts';

export interface Tools {
  fortio: string;
  wrk: string;
}

export interface FixedRateResult {
  requests: number;
  errors: number;
  actualQps: number;
  /** Latency percentiles in ms (fortio interpolates inside its histogram buckets). */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface MaxRateResult {
  rps: number;
  requests: number;
  errors: number;
}

interface FortioJson {
  ActualQPS: number;
  RetCodes: Record<string, number>;
  ErrorsDurationHistogram?: { Count: number };
  DurationHistogram: {
    Count: number;
    Max: number;
    Percentiles: { Percentile: number; Value: number }[];
  };
}

async function run(name: string, place: Placement, cmd: string, args: string[]): Promise<string> {
  const p = startPinned(name, place, cmd, args);
  const code = await p.done;
  if (code !== '0')
    throw new BenchError(
      'PETREL_BENCH_LOAD_FAILED',
      `${name} ${args.join(' ')} exited ${code}:\n${p.tail().join('\n')}`,
    );
  return p.tail().join('\n');
}

/**
 * fortio at a fixed rate over `connections` keep-alive connections. -uniform
 * spreads the connections' send times over the period (otherwise all of them
 * fire together every 1/rate·connections seconds and the proxy sees bursts);
 * -r 10 µs makes the histogram buckets 50–100 µs wide around 0.2–2 ms.
 */
export async function fixedRate(
  tools: Tools,
  place: Placement,
  url: string,
  opts: {
    qps: number;
    seconds: number;
    connections: number;
    workDir: string;
    tag: string;
    /** More fortio flags: a Host header, -keepalive=false. */
    extraArgs?: readonly string[];
  },
): Promise<FixedRateResult> {
  const out = join(opts.workDir, `fortio-${opts.tag}.json`);
  await run('fortio', place, tools.fortio, [
    'load',
    '-quiet',
    '-uniform',
    '-qps',
    String(opts.qps),
    '-c',
    String(opts.connections),
    '-t',
    `${opts.seconds}s`,
    '-r',
    '0.00001',
    '-p',
    '50,90,99,99.9',
    '-json',
    out,
    ...(opts.extraArgs ?? []),
    url,
  ]);
  const j = JSON.parse(readFileSync(out, 'utf8')) as FortioJson;
  const pct = (p: number): number => {
    const hit = j.DurationHistogram.Percentiles.find((x) => x.Percentile === p);
    if (!hit) throw new BenchError('PETREL_BENCH_LOAD_FAILED', `fortio gave no p${p} (${out})`);
    return hit.Value * 1000;
  };
  const ok = j.RetCodes['200'] ?? 0;
  return {
    requests: j.DurationHistogram.Count,
    errors: j.DurationHistogram.Count - ok,
    actualQps: j.ActualQPS,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    max: j.DurationHistogram.Max * 1000,
  };
}

/** wrk, one thread, `connections` keep-alive connections, as fast as the peer answers. */
export async function maxRate(
  tools: Tools,
  place: Placement,
  url: string,
  opts: {
    seconds: number;
    connections: number;
    /** More wrk flags: -H 'Host: …', -H 'Connection: close' (wrk then reconnects per request). */
    extraArgs?: readonly string[];
  },
): Promise<MaxRateResult> {
  const text = await run('wrk', place, tools.wrk, [
    '-t1',
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    ...(opts.extraArgs ?? []),
    url,
  ]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  if (!rps || !total)
    throw new BenchError('PETREL_BENCH_LOAD_FAILED', `wrk output not understood:\n${text}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors =
    Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps: Number(rps[1]), requests: Number(total[1]), errors };
}
