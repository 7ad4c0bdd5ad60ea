// A pilot in file mode with its CA and xDS on the TLS port, and Petrel proxies wired
// as `petrel proxy --xds-tls --root-cert … --bootstrap-token …` wires them (the same
// identity flags, SecretMerge, xDS over TLS): the setup the mTLS and TCP authorization
// end-to-end tests share. Each proxy gets its workload certificate from pilot's CA.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  identityConfigFromFlags,
  startProxyIdentity,
  xdsCredentials,
} from '../../../cli/commands/proxy-identity.ts';
import {
  attachTelemetry,
  telemetryConfigFromFlags,
  type ProxyTelemetry,
} from '../../../cli/commands/proxy-telemetry.ts';
import { startPilot, type RunningPilot } from '../../../pilot/main.ts';
import type { Agent } from '../../../sidecar/agent/agent.ts';
import {
  buildNodeIdentity,
  type NodeIdentityOptions,
} from '../../../sidecar/agent/node-identity.ts';
import { SecretMerge } from '../../../sidecar/identity/secret-merge.ts';
import type { WorkloadIdentity } from '../../../sidecar/identity/workload-identity.ts';
import { ProxyDataPlane, type DataPlaneOptions } from '../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../sidecar/proxy/record.ts';
import { closeTestAgent, startTestAgent, untilAgentReady } from './test-agent.ts';

export interface IdentitySidecar {
  agent: Agent;
  dataPlane: ProxyDataPlane;
  identity: WorkloadIdentity;
  records: RequestRecord[];
  wired?: ProxyTelemetry;
}

export interface PilotWithCaOptions {
  /** Working directory: the CA state, the tokens file and root-cert.pem go here. */
  dir: string;
  configDir: string;
  /** Bootstrap tokens file content: `<token> <namespace> <serviceAccount>` per line. */
  tokens: string;
  log?: (line: string) => void;
}

/** Pilot with its CA; writes `<dir>/root-cert.pem` for the proxies' --root-cert. */
export async function startPilotWithCa(opts: PilotWithCaOptions): Promise<RunningPilot> {
  writeFileSync(join(opts.dir, 'tokens'), opts.tokens);
  const log = opts.log ?? (() => {});
  const pilot = await startPilot({
    configDir: opts.configDir,
    xdsPort: 0,
    xdsTlsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
    ca: { stateDir: join(opts.dir, 'ca'), bootstrapTokensFile: join(opts.dir, 'tokens') },
    log: { debug: () => {}, info: () => {}, warn: log, error: log },
  });
  writeFileSync(join(opts.dir, 'root-cert.pem'), pilot.rootCertPem!);
  return pilot;
}

export interface IdentitySidecarOptions {
  pilot: RunningPilot;
  /** The directory given to startPilotWithCa (holds root-cert.pem). */
  dir: string;
  node: NodeIdentityOptions;
  token: string;
  dataPlane: DataPlaneOptions;
  /** --cert-ttl in seconds; unset keeps the CLI default. */
  ttlSeconds?: number;
  log?: (line: string) => void;
  /** Wire telemetry as `petrel proxy --stats-port 0` does (stats, metadata exchange). */
  telemetry?: boolean;
}

/** Starts the proxy and resolves once it reports ready (throws after 10 s). */
export async function startIdentitySidecar(opts: IdentitySidecarOptions): Promise<IdentitySidecar> {
  const { node } = opts;
  const xdsAddress = `127.0.0.1:${opts.pilot.xdsTlsPort}`;
  const cfg = identityConfigFromFlags(
    {
      'xds-tls': true,
      'root-cert': join(opts.dir, 'root-cert.pem'),
      'bootstrap-token': opts.token,
      ...(opts.ttlSeconds ? { 'cert-ttl': String(opts.ttlSeconds) } : {}),
    },
    xdsAddress,
  );
  const records: RequestRecord[] = [];
  const dataPlane = new ProxyDataPlane({
    ...opts.dataPlane,
    onRequestComplete: (r) => records.push(r),
  });
  const secrets = new SecretMerge(dataPlane);
  const log = (l: string) => opts.log?.(`${node.podName}: ${l}`);
  const identity = (await startProxyIdentity(cfg, buildNodeIdentity(node), secrets.identity, {
    debug: () => {},
    info: () => {},
    warn: log,
    error: log,
  }))!;
  const agent = await startTestAgent({
    xdsAddress,
    dataPlane: secrets.xds,
    credentials: xdsCredentials(cfg),
    identity: node,
  });
  await untilAgentReady(agent, node.podName ?? 'proxy');
  const proxy: IdentitySidecar = { agent, dataPlane, identity, records };
  if (opts.telemetry) {
    proxy.wired = await attachTelemetry({
      dataPlane,
      agent,
      config: telemetryConfigFromFlags({ 'stats-port': '0' }, {}),
      startedAt: new Date(),
      statsHost: '127.0.0.1',
    });
    const telemetryHook = proxy.wired.telemetry.onRequestComplete;
    dataPlane.onRequestComplete = (r) => {
      records.push(r);
      telemetryHook(r);
    };
  }
  return proxy;
}

export async function stopIdentitySidecar(p: IdentitySidecar | undefined): Promise<void> {
  if (!p) return;
  p.identity.stop();
  await closeTestAgent(p.agent);
  await p.wired?.close();
  p.dataPlane.close();
}
