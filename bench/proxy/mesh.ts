// Petrel under test: `petrel pilot --config-dir` with one Gateway per proxy and a
// VirtualService routing each to its next hop, and the router proxies it configures.
//   single:        client → single (router) → backend
//   chain of two:  client → hop-a (router) → Service hop-b → hop-b (router) → backend
// The hop between proxies is an ordinary Service whose EndpointSlice is the next
// proxy's Gateway port, so each hop does what a gateway does: Gateway server
// match, VirtualService route, outbound cluster, endpoint from EDS. The sidecar
// pairs (plaintext and mTLS) are sidecar-pairs.ts; their namespaces join this
// config (`extraDocs`), so one pilot serves every Petrel proxy of the run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BODY_BYTES } from './peers.ts';
import { answers, startPinned, waitReady } from './processes.ts';
import type { Placement, Running } from './processes.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const NS = 'bench';

export interface PetrelPorts {
  single: number;
  hopA: number;
  hopB: number;
  backend: number;
}

function gatewayHop(name: string, port: number, toService: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${NS} }
spec:
  selector: { bench: ${name} }
  servers:
    - port: { number: ${port}, name: http, protocol: HTTP }
      hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${NS} }
spec:
  hosts: ['*']
  gateways: [${name}]
  http:
    - route:
        - destination: { host: ${toService}.${NS}.svc.cluster.local, port: { number: 80 } }
`;
}

function service(name: string, clusterIP: string, targetPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NS} }
spec:
  clusterIP: ${clusterIP}
  ports: [{ name: http, port: 80, targetPort: ${targetPort} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}, namespace: ${NS}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${targetPort}, protocol: TCP }]
endpoints:
  - addresses: [127.0.0.1]
    conditions: { ready: true, serving: true, terminating: false }
`;
}

export function writeMeshConfig(
  dir: string,
  ports: PetrelPorts,
  extraDocs: readonly string[] = [],
): void {
  mkdirSync(dir, { recursive: true });
  const docs = [
    gatewayHop('single', ports.single, 'backend'),
    gatewayHop('hop-a', ports.hopA, 'hop-b'),
    gatewayHop('hop-b', ports.hopB, 'backend'),
    service('backend', '10.96.200.1', ports.backend),
    service('hop-b', '10.96.200.2', ports.hopB),
    ...extraDocs,
  ];
  writeFileSync(join(dir, 'bench.yaml'), docs.join('---\n'));
}

export interface PetrelProxy extends Running {
  adminPort: number;
  statsPort: number;
  port: number;
}

/** pilot in file mode; `extraArgs` add its CA (mesh-security.ts pilotCaFlags). */
export async function startPilot(
  configDir: string,
  ports: { xds: number; monitoring: number },
  place: Placement,
  extraArgs: readonly string[] = [],
): Promise<{ proc: Running; xds: string }> {
  const proc = startPinned(
    'petrel pilot',
    place,
    process.execPath,
    [
      join(REPO, 'cli/petrel.ts'),
      'pilot',
      '--config-dir',
      configDir,
      '--host',
      '127.0.0.1',
      '--xds-port',
      String(ports.xds),
      '--monitoring-port',
      String(ports.monitoring),
      ...extraArgs,
    ],
    { cwd: REPO },
  );
  await waitReady(
    proc,
    60_000,
    async () => (await fetch(`http://127.0.0.1:${ports.monitoring}/metrics`)).ok,
  );
  return { proc, xds: `127.0.0.1:${ports.xds}` };
}

/** The flags this build of `petrel proxy` offers (telemetry is being wired in while this benchmark exists). */
export function proxyFlags(): Set<string> {
  const help = spawnSync(process.execPath, [join(REPO, 'cli/petrel.ts'), 'proxy', '--help'], {
    encoding: 'utf8',
    cwd: REPO,
  });
  return new Set(
    [...`${help.stdout}${help.stderr}`.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1]!),
  );
}

/** What every Petrel proxy of the benchmark takes, router or sidecar. */
export interface ProxyCommon {
  /** The proxy's own ports (and, for a router, its Gateway port). */
  ports: { admin: number; status: number; health: number; stats: number };
  place: Placement;
  /** Telemetry flags, passed only when this build has them (see proxyFlags). */
  tracingEndpoint?: string;
  tracingSampling?: number;
  nodeFlags?: readonly string[];
}

export interface PetrelProxyOptions extends ProxyCommon {
  name: 'single' | 'hop-a' | 'hop-b';
  /** The Gateway port (already in pilot's config) and the proxy's own ports. */
  ports: ProxyCommon['ports'] & { gateway: number };
  xds: string;
  /** hop-a's route reaches the backend only once hop-b is up; then only readiness is awaited. */
  checkRoute?: boolean;
}

/**
 * `petrel proxy` with `roleArgs` (role, pilot, identity) plus the common ports and
 * telemetry flags, pinned; resolves once /healthz/ready answers (config applied).
 */
export async function launchProxy(
  label: string,
  o: ProxyCommon,
  roleArgs: readonly string[],
  flags: Set<string>,
  env?: NodeJS.ProcessEnv,
): Promise<Running> {
  const p = o.ports;
  const args = [
    ...(o.nodeFlags ?? []),
    join(REPO, 'cli/petrel.ts'),
    'proxy',
    ...roleArgs,
    '--admin-port',
    String(p.admin),
    '--status-port',
    String(p.status),
    '--health-port',
    String(p.health),
    '--probe-host',
    '127.0.0.1',
    '--drain-duration',
    '200',
  ];
  if (flags.has('stats-port')) args.push('--stats-port', String(p.stats));
  if (o.tracingEndpoint && flags.has('tracing-endpoint')) {
    args.push('--tracing-endpoint', o.tracingEndpoint);
    if (o.tracingSampling !== undefined) args.push('--tracing-sampling', String(o.tracingSampling));
  }
  const proc = startPinned(`petrel proxy ${label}`, o.place, process.execPath, args, {
    cwd: REPO,
    env: env ? { ...process.env, ...env } : undefined,
  });
  await waitReady(
    proc,
    60_000,
    async () => (await fetch(`http://127.0.0.1:${p.health}/healthz/ready`)).ok,
  );
  return proc;
}

/** A router proxy selected by Gateway `name`, ready once it serves the 1 KB body through its route. */
export async function startPetrelProxy(
  o: PetrelProxyOptions,
  flags: Set<string>,
): Promise<PetrelProxy> {
  const roleArgs = [
    '--role',
    'router',
    '--xds-address',
    o.xds,
    '--labels',
    `bench=${o.name}`,
    '--namespace',
    NS,
    '--pod-name',
    o.name,
    '--ip',
    '127.0.0.1',
  ];
  const proc = await launchProxy(o.name, o, roleArgs, flags);
  const p = o.ports;
  if (o.checkRoute !== false)
    await waitReady(proc, 30_000, () => answers(`http://127.0.0.1:${p.gateway}/`, BODY_BYTES));
  return { ...proc, adminPort: p.admin, statsPort: p.stats, port: p.gateway };
}

export interface TelemetryStatus {
  /** istio_requests_total in the proxy's /stats/prometheus. */
  metrics: boolean;
  /** A trace context (traceparent or x-b3-traceid) reached the backend. */
  tracing: boolean;
  /** x-request-id reached the backend (Envoy's HCM generates one). */
  requestId: boolean;
  /** Istio's metadata exchange header reached the backend. */
  peerMetadata: boolean;
}

/**
 * What this proxy build actually does per request, seen from outside (not from its
 * source): `probeBody` is what the backend's /probe echoed for a request through
 * the proxy (or proxies); the stats are the (first) proxy's.
 */
export async function telemetryStatus(
  probeBody: string,
  proxy: { statsPort: number; adminPort: number },
): Promise<TelemetryStatus> {
  const text = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/stats/prometheus`).catch(() => undefined);
    return res?.ok ? await res.text() : '';
  };
  const stats = (await text(proxy.statsPort)) + (await text(proxy.adminPort));
  const has = (key: string) => new RegExp(`${key}=\\S`).test(probeBody);
  return {
    metrics: /^istio_requests_total\b/m.test(stats),
    tracing: has('traceparent') || has('b3'),
    requestId: has('request_id'),
    peerMetadata: has('peer_metadata_id'),
  };
}
