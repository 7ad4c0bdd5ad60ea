// `petrel proxy wait`: Istio's `pilot-agent wait`, the sidecar's postStart hook
// with holdApplicationUntilProxyStarts. The kubelet starts the next container only
// once postStart returns, so this blocks until the proxy answers 200 on its
// readiness URL (exit 0), or gives up after the timeout (exit 1, one line saying
// what it waited for and the last answer or error).
// Flags keep Istio's names (--timeoutSeconds, --periodMillis, --requestTimeoutMillis,
// --url) so hooks written for Istio work, plus Petrel's kebab-case spelling.
// Unlike pilot-agent, the first check is immediate rather than one period in.
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';

/** pilot-agent's default: the health port, where readiness is all that is served. */
export const DEFAULT_WAIT_URL = 'http://localhost:15021/healthz/ready';

const NUMBER_FLAGS = [
  ['timeoutSeconds', 'timeout-seconds', 60],
  ['periodMillis', 'period-millis', 500],
  ['requestTimeoutMillis', 'request-timeout-millis', 500],
] as const;

const FLAGS = {
  options: {
    url: { type: 'string' },
    ...Object.fromEntries(
      NUMBER_FLAGS.flatMap(([istio, kebab]) => [
        [istio, { type: 'string' }],
        [kebab, { type: 'string' }],
      ]),
    ),
  },
  help: [
    `  --url URL                          readiness URL to poll (default ${DEFAULT_WAIT_URL})`,
    '  --timeoutSeconds, --timeout-seconds N            give up after N seconds (default 60)',
    '  --periodMillis, --period-millis N                between attempts (default 500)',
    '  --requestTimeoutMillis, --request-timeout-millis N   per attempt (default 500)',
  ].join('\n'),
} as const;

export interface WaitOptions {
  url: string;
  timeoutSeconds: number;
  periodMillis: number;
  requestTimeoutMillis: number;
}

function numberFlag(
  values: Record<string, unknown>,
  istio: string,
  kebab: string,
  fallback: number,
): number {
  if (values[istio] !== undefined && values[kebab] !== undefined)
    throw new CliError(`--${istio} and --${kebab} are the same flag: give one`);
  const name = values[istio] !== undefined ? istio : kebab;
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`--${name} ${String(raw)}: must be a positive integer`);
  return n;
}

export function waitOptionsFromArgs(args: string[]): WaitOptions {
  const values = parseFlags(args, FLAGS, 'proxy wait');
  const url = (values.url as string | undefined) ?? DEFAULT_WAIT_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new CliError(`--url ${url}: must be an http(s) URL`);
  const [timeout, period, request] = NUMBER_FLAGS.map(([istio, kebab, fallback]) =>
    numberFlag(values, istio, kebab, fallback),
  );
  return {
    url,
    timeoutSeconds: timeout!,
    periodMillis: period!,
    requestTimeoutMillis: request!,
  };
}

/** One attempt: undefined when ready, else what went wrong (and whether it was our own timeout). */
async function check(
  url: string,
  timeoutMs: number,
): Promise<{ problem: string; timedOut: boolean } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).trim().split('\n')[0]!.slice(0, 200);
    if (res.status === 200) return undefined;
    return { problem: `HTTP ${res.status}${body ? ` (${body})` : ''}`, timedOut: false };
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    if (e.name === 'TimeoutError')
      return { problem: `no answer within ${timeoutMs} ms`, timedOut: true };
    return { problem: e.cause?.code ?? e.cause?.message ?? e.message, timedOut: false };
  }
}

/** Polls until ready (0) or the timeout (1). */
export async function waitUntilReady(options: WaitOptions): Promise<number> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  console.error(
    `info\twaiting for the proxy to be ready at ${options.url} (timeout ${options.timeoutSeconds}s)`,
  );
  let last: string | undefined;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const budget = Math.min(options.requestTimeoutMillis, left);
    const failed = await check(options.url, budget);
    if (failed === undefined) {
      console.error('info\tproxy is ready');
      return 0;
    }
    // An attempt the overall deadline cut short says nothing about the proxy: the
    // answer before it is the one worth reporting.
    const cutShort = failed.timedOut && budget < options.requestTimeoutMillis;
    if (!cutShort || last === undefined) last = failed.problem;
    const pause = Math.min(options.periodMillis, deadline - Date.now());
    if (pause > 0) await sleep(pause);
  }
  console.error(
    `petrel proxy wait: timed out after ${options.timeoutSeconds}s waiting for ${options.url} to answer 200; last: ${last ?? 'no attempt made'}`,
  );
  return 1;
}

export async function runProxyWait(args: string[]): Promise<number> {
  return waitUntilReady(waitOptionsFromArgs(args));
}
