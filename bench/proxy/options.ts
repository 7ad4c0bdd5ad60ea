// The benchmark's command line: the configurations it can run (their --only names
// and table labels), the load settings, and --short for a smoke run.
import { parseArgs } from 'node:util';

/** --only name → the row's label in the table. */
export const CONFIGS = {
  petrel: 'Petrel, 1 proxy',
  'petrel-2': 'Petrel, 2 proxies (sidecars), plaintext',
  'petrel-2-mtls': 'Petrel, 2 proxies (sidecars), mTLS',
  'petrel-2-conn': 'Petrel, 2 proxies, plaintext, new connection per request',
  'petrel-2-mtls-conn': 'Petrel, 2 proxies, mTLS, new connection per request',
  'petrel-x2': 'Petrel, 2 routers chained',
  nginx: 'nginx, 1 worker',
  'nginx-2': 'nginx → nginx, plaintext',
  'nginx-2-mtls': 'nginx → nginx, mTLS',
  haproxy: 'HAProxy, 1 thread',
  fastify: '@fastify/http-proxy',
  passthrough: 'minimal Node pass-through (undici Pool)',
} as const;
export type ConfigKey = keyof typeof CONFIGS;
const KEYS = Object.keys(CONFIGS) as ConfigKey[];
/** The router chain is superseded by the sidecar pairs; it runs when named in --only. */
const NOT_BY_DEFAULT = new Set<ConfigKey>(['petrel-x2']);

/** The rows compared mTLS against plaintext (same topology, same run). */
export const MTLS_PAIRS: readonly { plain: ConfigKey; mtls: ConfigKey; what: string }[] = [
  { plain: 'petrel-2', mtls: 'petrel-2-mtls', what: 'Petrel sidecar → sidecar, keep-alive' },
  {
    plain: 'petrel-2-conn',
    mtls: 'petrel-2-mtls-conn',
    what: 'Petrel sidecar → sidecar, one connection (one handshake) per request',
  },
  { plain: 'nginx-2', mtls: 'nginx-2-mtls', what: 'nginx → nginx, keep-alive' },
];

export const USAGE = `usage: node bench/proxy/run.ts [options]
  --reps N            interleaved repetitions of every configuration (default 3)
  --qps N             the fixed rate (default 1000)
  --conn-qps N        the fixed rate of the new-connection-per-request rows (default 200)
  --seconds N         fixed-rate run length (default 15), after a --warmup (default 2) run
  --connections N     fortio connections at the fixed rate (default 8)
  --max-seconds N     wrk run length for the highest rate (default 8)
  --max-connections N wrk connections (default 32)
  --short             a smoke run: --reps 1 --seconds 4 --warmup 1 --max-seconds 3 --profile-seconds 0
                      (flags given as well still count); figures from it are not results
  --only a,b          only these of ${KEYS.join(', ')}
                      (direct always runs; without --only all but ${[...NOT_BY_DEFAULT].join(', ')})
  --load-core N       core of the backend, the load generators and pilot (default 0)
  --proxy-core N      core of the proxies under test (default 1)
  --nice N            nice value of every process of the benchmark (default -20: the machine is shared, and at
                      equal priority the other work takes most of both cores)
  --profile-seconds N wrk run under --cpu-prof on a fresh Petrel proxy (default 10; 0 skips)
  --tracing-sampling P  Petrel's trace sampling percentage, spans sent to an OTLP sink here (default 1, Istio's)
  --no-tracing        run Petrel without a tracing endpoint
  --petrel-node-flags="F …"  Node flags for the Petrel proxies, to try tunings (write it with =,
                      e.g. --petrel-node-flags="--max-semi-space-size=1"); a flag named here replaces the
                      proxy's own default of that name (sidecar/agent/node-flags.ts); run with
                      PETREL_PROXY_NODE_FLAGS= in the environment for none of those defaults
  --out DIR           where results (JSON, Markdown, profile) go (default ~/.cache/petrel-bench/results)`;

export interface Options {
  reps: number;
  qps: number;
  connQps: number;
  seconds: number;
  warmup: number;
  connections: number;
  maxSeconds: number;
  maxConnections: number;
  loadCore: number;
  proxyCore: number;
  nice: number;
  profileSeconds: number;
  tracingSampling: number | undefined;
  short: boolean;
  petrelNodeFlags: string[];
  out: string | undefined;
  /** The configurations to run besides direct. */
  selected: Set<ConfigKey>;
}

function bad(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const BOOLEAN = new Set(['help', 'no-tracing', 'short']);
const NAMES = [
  ...['reps', 'qps', 'conn-qps', 'seconds', 'warmup', 'connections', 'max-seconds'],
  ...['max-connections', 'only', 'load-core', 'proxy-core', 'nice', 'profile-seconds'],
  ...['tracing-sampling', 'petrel-node-flags', 'out', ...BOOLEAN],
];

export function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        NAMES.map((k) => [k, { type: BOOLEAN.has(k) ? 'boolean' : 'string' }] as const),
      ),
    }).values;
  } catch (err) {
    bad((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const short = values.short === true;
  const num = (name: string, def: number, shortDef = def, min = 0): number => {
    const raw = values[name];
    if (raw === undefined) return short ? shortDef : def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      bad(`--${name} ${String(raw)}: want a whole number ≥ ${min}`);
    return n;
  };
  const nice = values.nice === undefined ? -20 : Number(values.nice);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19)
    bad(`--nice ${String(values.nice)}: want a whole number from -20 to 19`);
  const tracingSampling = values['no-tracing']
    ? undefined
    : Number(values['tracing-sampling'] ?? 1);
  if (tracingSampling !== undefined && !(tracingSampling >= 0 && tracingSampling <= 100))
    bad(
      `--tracing-sampling ${String(values['tracing-sampling'])}: want a percentage from 0 to 100`,
    );
  const only = typeof values.only === 'string' ? values.only.split(',').filter(Boolean) : undefined;
  for (const n of only ?? [])
    if (!(n in CONFIGS))
      bad(`--only ${String(values.only)}: "${n}" is not one of ${KEYS.join(', ')}`);
  const petrelNodeFlags = String(values['petrel-node-flags'] ?? '')
    .split(/\s+/)
    .filter(Boolean);
  for (const f of petrelNodeFlags)
    if (!f.startsWith('--')) bad(`--petrel-node-flags: "${f}" is not a Node flag`);
  return {
    reps: num('reps', 3, 1, 1),
    qps: num('qps', 1000, 1000, 1),
    connQps: num('conn-qps', 200, 200, 1),
    seconds: num('seconds', 15, 4, 1),
    warmup: num('warmup', 2, 1, 1),
    connections: num('connections', 8, 8, 1),
    maxSeconds: num('max-seconds', 8, 3, 1),
    maxConnections: num('max-connections', 32, 32, 1),
    loadCore: num('load-core', 0),
    proxyCore: num('proxy-core', 1),
    nice,
    profileSeconds: num('profile-seconds', 10, 0),
    tracingSampling,
    short,
    petrelNodeFlags,
    out: typeof values.out === 'string' ? values.out : undefined,
    selected: new Set(only ? (only as ConfigKey[]) : KEYS.filter((k) => !NOT_BY_DEFAULT.has(k))),
  };
}
