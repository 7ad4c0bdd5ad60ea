// Two sidecars in a row, as Istio's own benchmark measures the mesh: client sidecar
// (outbound) → server sidecar (inbound) → backend. Each pair lives in its own
// namespace so the only difference between them is mesh security:
//   mesh-mtls   no PeerAuthentication (Istio's default PERMISSIVE): auto mTLS makes
//               the hop ISTIO_MUTUAL (the server Pod carries tlsMode=istio)
//   mesh-plain  PeerAuthentication DISABLE: no transport_socket_matches on the
//               client's cluster, no TLS chain on the server's listener
// Both pairs hold workload certificates from pilot's CA, run in interception mode
// NONE (no iptables here: the client's outbound listeners bind its own loopback
// address, the server's Sidecar ingress binds its pod IP) and forward to the one
// backend through `defaultEndpoint 127.0.0.1:<backend>`. Each server port comes
// twice: HTTP (pooled upstream connections, so TLS costs per request) and TCP
// (tcp_proxy: one upstream connection per downstream one, so a client that
// reconnects per request pays one mTLS handshake between the sidecars per request).
import { request } from 'node:http';
import { launchProxy } from './mesh.ts';
import type { ProxyCommon } from './mesh.ts';
import { checkSecurity, proxyCaFlags, serverSecurityCounts } from './mesh-security.ts';
import type { MeshCa } from './mesh-security.ts';
import { BODY_BYTES } from './peers.ts';
import { BenchError, waitReady } from './processes.ts';
import type { Running } from './processes.ts';

export type PairKind = 'mtls' | 'plain';

export interface SidecarPair {
  kind: PairKind;
  namespace: string;
  /** Pod IPs (EndpointSlices point at the server's) and each sidecar's own "localhost". */
  clientIp: string;
  serverIp: string;
  clientBind: string;
  serverBind: string;
  /** The server Service's HTTP and TCP ports (= the Sidecar ingress ports). */
  httpPort: number;
  tcpPort: number;
  /** What a client sends as Host to reach the server Service. */
  host: string;
}

export const SERVER_SA = 'server';
export const CLIENT_SA = 'client';

/** Addresses of pair `index` (0, 1, …): 127.0.77.x pod IPs, 127.0.78.x loopbacks. */
export function pairLayout(
  kind: PairKind,
  index: number,
  ports: { http: number; tcp: number },
): SidecarPair {
  const namespace = `mesh-${kind}`;
  const c = 2 * index + 1;
  return {
    kind,
    namespace,
    clientIp: `127.0.77.${c}`,
    serverIp: `127.0.77.${c + 1}`,
    clientBind: `127.0.78.${c}`,
    serverBind: `127.0.78.${c + 1}`,
    httpPort: ports.http,
    tcpPort: ports.tcp,
    host: `server.${namespace}.svc.cluster.local`,
  };
}

function pod(p: SidecarPair, app: string, ip: string, ports: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${app}
  namespace: ${p.namespace}
  labels: { app: ${app}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${app}
  containers: [{ name: ${app}, image: bench/${app}${ports} }]
status: { podIP: ${ip}, phase: Running }
`;
}

/** The pair's namespace: Service, Pods, EndpointSlice, Sidecars (and DISABLE for plain). */
export function pairConfig(p: SidecarPair, backendPort: number): string {
  const ns = p.namespace;
  const disable =
    p.kind === 'plain'
      ? `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: ${ns} }
spec: { mtls: { mode: DISABLE } }
---
`
      : '';
  // Own namespace only: other namespaces' service ports would be bound on the
  // client's loopback too, for nothing.
  const egress = `egress: [{ hosts: ['./*'] }]`;
  return `${disable}apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: default, namespace: ${ns} }
spec:
  ${egress}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: server, namespace: ${ns} }
spec:
  workloadSelector: { labels: { app: server } }
  ingress:
    - port: { number: ${p.httpPort}, protocol: HTTP, name: http }
      defaultEndpoint: 127.0.0.1:${backendPort}
    - port: { number: ${p.tcpPort}, protocol: TCP, name: tcp }
      defaultEndpoint: 127.0.0.1:${backendPort}
  ${egress}
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: ${ns} }
spec:
  clusterIP: 10.96.201.${p.kind === 'mtls' ? 1 : 2}
  selector: { app: server }
  ports:
    - { name: http, port: ${p.httpPort}, targetPort: ${p.httpPort} }
    - { name: tcp, port: ${p.tcpPort}, targetPort: ${p.tcpPort} }
---
${pod(p, SERVER_SA, p.serverIp, `, ports: [{ name: http, containerPort: ${p.httpPort} }, { name: tcp, containerPort: ${p.tcpPort} }]`)}---
${pod(p, CLIENT_SA, p.clientIp, '')}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: server, namespace: ${ns}, labels: { kubernetes.io/service-name: server } }
addressType: IPv4
ports: [{ name: http, port: ${p.httpPort}, protocol: TCP }, { name: tcp, port: ${p.tcpPort}, protocol: TCP }]
endpoints:
  - addresses: [${p.serverIp}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${ns}, name: server }
`;
}

/** One GET with an explicit Host (fetch may not set Host); undefined when it fails. */
export function getVia(
  address: string,
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer } | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path, headers, agent: false, timeout: 2000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** "200, 1024 bytes" or "no answer": what one attempt got, for a failure report. */
async function attempt(
  address: string,
  port: number,
  headers: Record<string, string>,
): Promise<{ ok: boolean; seen: string }> {
  const r = await getVia(address, port, '/', headers);
  if (!r) return { ok: false, seen: 'no answer (refused, reset or timed out)' };
  const seen = `${r.status}, ${r.body.length} bytes${r.status === 200 ? '' : `: ${r.body.toString().slice(0, 200)}`}`;
  return { ok: r.status === 200 && r.body.length === BODY_BYTES, seen };
}

/**
 * Waits until the client sidecar carries both the HTTP and the TCP route to the
 * backend (the TCP one on a fresh connection per request, as its rows use it);
 * a timeout names what the last attempt got and the server sidecar's last lines.
 */
async function waitPairRoutes(client: Running, server: Running, p: SidecarPair): Promise<void> {
  for (const [port, headers] of [
    [p.httpPort, { host: p.host }],
    [p.tcpPort, { connection: 'close' }],
  ] as const) {
    let last = 'nothing tried';
    try {
      await waitReady(client, 30_000, async () => {
        const a = await attempt(p.clientBind, port, headers);
        last = a.seen;
        return a.ok;
      });
    } catch (err) {
      throw new BenchError(
        'PETREL_BENCH_PEER_TIMEOUT',
        `${(err as Error).message}\nlast GET http://${p.clientBind}:${port}/ got ${last}\nserver sidecar's last lines:\n${server.tail().join('\n')}`,
      );
    }
  }
}

export interface RunningPair {
  pair: SidecarPair;
  client: Running;
  server: Running;
  serverStatsPort: number;
  /** The client sidecar's stats and admin ports (its istio_* metrics). */
  clientPorts: { statsPort: number; adminPort: number };
  /** What the server counted once the routes answered (mesh-security.ts checkSecurity). */
  security: string;
}

function sidecarArgs(p: SidecarPair, ca: MeshCa, app: string): string[] {
  const ip = app === SERVER_SA ? p.serverIp : p.clientIp;
  return [
    '--role',
    'sidecar',
    ...proxyCaFlags(ca, p.namespace, app),
    '--pod-name',
    app,
    '--namespace',
    p.namespace,
    '--ip',
    ip,
    '--labels',
    `app=${app},security.istio.io/tlsMode=istio`,
    '--service-account',
    app,
    '--bind-ip',
    app === SERVER_SA ? p.serverBind : p.clientBind,
  ];
}

/**
 * Server sidecar, then client sidecar, each with its workload certificate; ready
 * once both routes answer through the pair and the server saw the security the
 * pair is meant to have (else this throws: no silently plaintext "mTLS" row).
 */
export async function startSidecarPair(
  p: SidecarPair,
  ca: MeshCa,
  proxies: { client: ProxyCommon; server: ProxyCommon },
  flags: Set<string>,
): Promise<RunningPair> {
  // Interception mode NONE as a pod annotation would set it (no iptables here).
  const env = (app: string) => ({
    ISTIO_META_INTERCEPTION_MODE: 'NONE',
    ISTIO_META_WORKLOAD_NAME: app,
  });
  const server = await launchProxy(
    `${p.namespace}/server`,
    proxies.server,
    sidecarArgs(p, ca, SERVER_SA),
    flags,
    env(SERVER_SA),
  );
  let client: Running | undefined;
  try {
    client = await launchProxy(
      `${p.namespace}/client`,
      proxies.client,
      sidecarArgs(p, ca, CLIENT_SA),
      flags,
      env(CLIENT_SA),
    );
    await waitPairRoutes(client, server, p);
    const statsPort = proxies.server.ports.stats;
    const security = checkSecurity(
      `sidecar pair ${p.namespace}`,
      p.kind,
      await serverSecurityCounts(statsPort),
    );
    return {
      pair: p,
      client,
      server,
      serverStatsPort: statsPort,
      clientPorts: { statsPort: proxies.client.ports.stats, adminPort: proxies.client.ports.admin },
      security,
    };
  } catch (err) {
    await client?.stop(5000);
    await server.stop(5000);
    throw err;
  }
}
