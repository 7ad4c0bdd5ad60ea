// Starts what the selected configurations need — the backend, pilot (with its CA
// when a sidecar pair runs), the Petrel routers and sidecar pairs, the reference
// proxies — and returns the configurations in the catalogue's order (options.ts).
// Everything started goes to `keep`, which the runner stops at the end.
import { join } from 'node:path';
import type { Config } from './matrix.ts';
import { proxyFlags, startPetrelProxy, startPilot, writeMeshConfig } from './mesh.ts';
import type { PetrelProxy, ProxyCommon } from './mesh.ts';
import { meshCaSetup, pilotCaFlags, rootCertWritten } from './mesh-security.ts';
import { startNginxPair } from './nginx-pair.ts';
import type { NginxPair } from './nginx-pair.ts';
import { CONFIGS } from './options.ts';
import type { ConfigKey, Options } from './options.ts';
import { startBackend, startHaproxy, startNginxProxy, startNodePeer } from './peers.ts';
import { pickPorts } from './ports.ts';
import { waitReady } from './processes.ts';
import type { Placement, Running } from './processes.ts';
import { CLIENT_SA, SERVER_SA, pairConfig, pairLayout, startSidecarPair } from './sidecar-pairs.ts';
import type { PairKind, RunningPair, SidecarPair } from './sidecar-pairs.ts';

const PROXY_PORTS = ['admin', 'status', 'health', 'stats'] as const;
const PETREL_PROXIES = [
  ...['single', 'hopA', 'hopB', 'mtlsClient', 'mtlsServer', 'plainClient', 'plainServer'],
] as const;
type ProxyName = (typeof PETREL_PROXIES)[number];
type ProxyPorts = ProxyCommon['ports'] & { gateway: number };

export interface Setup {
  configs: Config[];
  backendPort: number;
  single?: PetrelProxy;
  pairs: RunningPair[];
  nginxPair?: NginxPair;
  xds: string;
  flags: Set<string>;
  /** Telemetry and Node flags every Petrel proxy got (the profile phase repeats them). */
  tracing: Pick<ProxyCommon, 'tracingEndpoint' | 'tracingSampling' | 'nodeFlags'>;
  /** The profile phase's fresh proxy reuses `single`'s ports. */
  singlePorts: ProxyPorts;
  passthroughPort: number;
}

interface Context {
  o: Options;
  work: string;
  ports: Record<string, number>;
  load: Placement;
  proxy: Placement;
  keep: <T extends Running>(p: T) => T;
  log: (line: string) => void;
  add: (
    key: ConfigKey,
    hops: number,
    url: string,
    procs: Running[],
    more?: Partial<Config>,
  ) => void;
}

const url = (port: number, host = '127.0.0.1') => `http://${host}:${port}/`;
const pairKey = (kind: PairKind, conn: boolean) =>
  `petrel-2${kind === 'mtls' ? '-mtls' : ''}${conn ? '-conn' : ''}` as ConfigKey;

export async function startConfigs(
  o: Options,
  work: string,
  place: { load: Placement; proxy: Placement },
  otlpUrl: string,
  keep: <T extends Running>(p: T) => T,
  log: (line: string) => void,
): Promise<Setup> {
  const ports = await pickPorts([
    ...['backend', 'nginx', 'haproxy', 'fastify', 'passthrough', 'single', 'hopA', 'hopB'],
    ...['xds', 'xdsTls', 'monitoring', 'mtlsHttp', 'mtlsTcp', 'plainHttp', 'plainTcp'],
    ...['ngxAPlain', 'ngxATls', 'ngxBPlain', 'ngxBTls'],
    ...PETREL_PROXIES.flatMap((h) => PROXY_PORTS.map((k) => `${h}-${k}`)),
  ]);
  const configs: Config[] = [];
  const ctx: Context = {
    o,
    work,
    ports,
    ...place,
    keep,
    log,
    add: (key, hops, at, procs, more = {}) => {
      if (o.selected.has(key))
        configs.push({ key, name: CONFIGS[key], hops, url: at, procs, maxRun: true, ...more });
    },
  };
  keep(await startBackend(join(work, 'backend'), ports.backend!, place.load));
  const flags = proxyFlags();
  const tracing = {
    ...(o.tracingSampling !== undefined && flags.has('tracing-endpoint')
      ? { tracingEndpoint: otlpUrl, tracingSampling: o.tracingSampling }
      : {}),
    nodeFlags: o.petrelNodeFlags,
  };
  const petrel = await startPetrel(ctx, flags, tracing);
  const nginxPair = await startPeers(ctx);
  const order = Object.keys(CONFIGS);
  configs.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  configs.unshift({
    key: 'direct',
    name: 'direct (no proxy)',
    hops: 0,
    url: url(ports.backend!),
    procs: [],
    maxRun: false,
  });
  return {
    configs,
    backendPort: ports.backend!,
    ...petrel,
    nginxPair,
    flags,
    tracing,
    singlePorts: proxyPorts(ports, 'single'),
    passthroughPort: ports.passthrough!,
  };
}

function proxyPorts(ports: Record<string, number>, h: ProxyName): ProxyPorts {
  const at = (k: string) => ports[`${h}-${k}`]!;
  return {
    gateway: ports[h] ?? 0,
    admin: at('admin'),
    status: at('status'),
    health: at('health'),
    stats: at('stats'),
  };
}

/** pilot, then the sidecar pairs (server counts checked), then the routers. */
async function startPetrel(
  c: Context,
  flags: Set<string>,
  tracing: Setup['tracing'],
): Promise<{ single?: PetrelProxy; pairs: RunningPair[]; xds: string }> {
  const want = (k: ConfigKey) => c.o.selected.has(k);
  const { ports } = c;
  const layouts: SidecarPair[] = (['mtls', 'plain'] as const)
    .filter((k) => want(pairKey(k, false)) || want(pairKey(k, true)))
    .map((k, i) => pairLayout(k, i, { http: ports[`${k}Http`]!, tcp: ports[`${k}Tcp`]! }));
  if (!want('petrel') && !want('petrel-x2') && layouts.length === 0) return { pairs: [], xds: '' };
  const mesh = join(c.work, 'mesh');
  writeMeshConfig(
    mesh,
    { single: ports.single!, hopA: ports.hopA!, hopB: ports.hopB!, backend: ports.backend! },
    layouts.map((l) => pairConfig(l, ports.backend!)),
  );
  const ca = meshCaSetup(
    c.work,
    ports.xdsTls!,
    layouts.flatMap((l) => [[l.namespace, CLIENT_SA] as const, [l.namespace, SERVER_SA] as const]),
  );
  // The CA only when a sidecar pair runs; the routers never ask it for a certificate.
  const pilot = await startPilot(
    mesh,
    { xds: ports.xds!, monitoring: ports.monitoring! },
    c.load,
    layouts.length > 0 ? pilotCaFlags(ca) : [],
  );
  c.keep(pilot.proc);
  c.log(`pilot ${pilot.proc.pid} on ${pilot.xds}`);
  if (layouts.length > 0) await waitReady(pilot.proc, 30_000, async () => rootCertWritten(ca));
  const pairs: RunningPair[] = [];
  for (const l of layouts) {
    const side = (h: ProxyName) => ({ ports: proxyPorts(ports, h), place: c.proxy, ...tracing });
    const client = side(`${l.kind}Client`);
    const r = await startSidecarPair(l, ca, { client, server: side(`${l.kind}Server`) }, flags);
    c.keep(r.server);
    c.keep(r.client);
    pairs.push(r);
    c.log(
      `sidecar pair ${l.namespace}: server ${r.server.pid}, client ${r.client.pid}; server counted ${r.security}`,
    );
    const procs = [r.client, r.server];
    const host = ['-H', `Host: ${l.host}`];
    c.add(pairKey(l.kind, false), 2, url(l.httpPort, l.clientBind), procs, {
      fortioArgs: host,
      wrkArgs: host,
    });
    // tcp_proxy opens one upstream connection per downstream one: a client that
    // reconnects per request makes one handshake between the sidecars per request.
    c.add(pairKey(l.kind, true), 2, url(l.tcpPort, l.clientBind), procs, {
      qps: c.o.connQps,
      fortioArgs: ['-keepalive=false'],
      wrkArgs: ['-H', 'Connection: close'],
    });
  }
  // hop-b first: hop-a's route answers only once hop-b does.
  const router = async (name: 'single' | 'hop-a' | 'hop-b', p: ProxyName) =>
    c.keep(
      await startPetrelProxy(
        { name, ports: proxyPorts(ports, p), xds: pilot.xds, place: c.proxy, ...tracing },
        flags,
      ),
    );
  const single = want('petrel') ? await router('single', 'single') : undefined;
  if (single) c.add('petrel', 1, url(ports.single!), [single]);
  if (want('petrel-x2')) {
    const b = await router('hop-b', 'hopB');
    c.add('petrel-x2', 2, url(ports.hopA!), [await router('hop-a', 'hopA'), b]);
  }
  return { single, pairs, xds: pilot.xds };
}

/** nginx, the nginx pair, HAProxy, fastify and the pass-through, as selected. */
async function startPeers(c: Context): Promise<NginxPair | undefined> {
  const want = (k: ConfigKey) => c.o.selected.has(k);
  const { ports, work, proxy, keep } = c;
  const backend = ports.backend!;
  if (want('nginx'))
    c.add('nginx', 1, url(ports.nginx!), [
      keep(await startNginxProxy(join(work, 'nginx'), ports.nginx!, backend, proxy)),
    ]);
  let pair: NginxPair | undefined;
  if (want('nginx-2') || want('nginx-2-mtls')) {
    pair = await startNginxPair(
      join(work, 'nginx-pair'),
      {
        aPlain: ports.ngxAPlain!,
        aTls: ports.ngxATls!,
        bPlain: ports.ngxBPlain!,
        bTls: ports.ngxBTls!,
        backend,
      },
      proxy,
    );
    keep(pair.b);
    keep(pair.a);
    c.log(`nginx pair: plaintext entry says "${pair.plainCheck}", mTLS entry "${pair.tlsCheck}"`);
    c.add('nginx-2', 2, url(ports.ngxAPlain!), [pair.a, pair.b]);
    c.add('nginx-2-mtls', 2, url(ports.ngxATls!), [pair.a, pair.b]);
  }
  if (want('haproxy'))
    c.add('haproxy', 1, url(ports.haproxy!), [
      keep(await startHaproxy(join(work, 'haproxy'), ports.haproxy!, backend, proxy)),
    ]);
  for (const [key, script] of [
    ['fastify', 'fastify-proxy.ts'],
    ['passthrough', 'passthrough.ts'],
  ] as const)
    if (want(key))
      c.add(key, 1, url(ports[key]!), [
        keep(await startNodePeer(key, script, ports[key]!, backend, proxy)),
      ]);
  return pair;
}
