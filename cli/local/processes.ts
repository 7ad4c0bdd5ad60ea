// The processes of the local mesh as command lines: pilot in file mode, the gateway
// (router), and per pod the sample app and its sidecar. Without capture, a sidecar
// runs in Istio's interception mode NONE (ISTIO_META_INTERCEPTION_MODE, as a pod
// annotation would set it) and binds its outbound listeners on the pod's own
// loopback address (--bind-ip); with capture, `wrap` runs app and sidecar inside the
// pod's network namespace, the sidecar as uid 1337, exactly as in a pod.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildSpec } from './child.ts';
import type { GatewayPlan, PodPlan } from './plan.ts';
import { httpOk, tcpOpen } from './probe.ts';

export interface Placement {
  host: string;
  xdsPort: number;
  monitoringPort: number;
  logDir: string;
  /** Pilot's --host: where proxies reach it (the host, or the bridge with capture). */
  pilotHost: string;
  capture: boolean;
  /** Drain time for proxies on stop (Istio's terminationDrainDuration, short locally). */
  drainMs: number;
  /**
   * Automatic mTLS as Istio runs by default: pilot serves xDS and its CA over TLS on
   * `xdsTlsPort`, keeps its root in `caDir`, and accepts one bootstrap token per
   * service account (file mode has no Kubernetes tokens). Undefined: plaintext.
   */
  mtls?: { xdsTlsPort: number; caDir: string; tokensFile: string; tokens: Record<string, string> };
  /** Istio's MeshConfig file for pilot (`petrel pilot --mesh-config`), e.g. extensionProviders. */
  meshConfigFile?: string;
  /** Runs a pod's command in its namespace (capture), as `user` ('app' or 'proxy'). */
  wrap(
    pod: PodPlan,
    user: 'app' | 'proxy',
    command: string,
    args: string[],
  ): { command: string; args: string[] };
}

const PETREL = fileURLToPath(new URL('../petrel.ts', import.meta.url));
const GUARD = new URL('./orphan-guard.ts', import.meta.url).href;
export const APP_PORT = 8080;
export const GATEWAY_SERVICE_ACCOUNT = 'istio-ingressgateway';

function node(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', GUARD, ...args] };
}

const labelsFlag = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** How a proxy reaches pilot: xDS over TLS plus a workload certificate with mTLS on, plaintext xDS otherwise. */
function pilotFlags(p: Placement, namespace: string, serviceAccount: string): string[] {
  if (!p.mtls) return ['--xds-address', `${p.pilotHost}:${p.xdsPort}`];
  return [
    '--xds-address',
    `${p.pilotHost}:${p.mtls.xdsTlsPort}`,
    '--xds-tls',
    '--root-cert',
    join(p.mtls.caDir, 'root-cert.pem'),
    '--bootstrap-token',
    p.mtls.tokens[`${namespace}/${serviceAccount}`] ?? '',
  ];
}

export function pilotSpec(p: Placement, configDir: string): ChildSpec {
  const monitoring = `http://${p.pilotHost}:${p.monitoringPort}`;
  const tls = p.mtls
    ? [
        '--xds-tls-port',
        String(p.mtls.xdsTlsPort),
        '--ca-state-dir',
        p.mtls.caDir,
        '--bootstrap-tokens',
        p.mtls.tokensFile,
      ]
    : [];
  return {
    name: 'pilot',
    ...node([
      PETREL,
      'pilot',
      '--config-dir',
      configDir,
      '--host',
      p.pilotHost,
      '--xds-port',
      String(p.xdsPort),
      '--monitoring-port',
      String(p.monitoringPort),
      ...tls,
      ...(p.meshConfigFile ? ['--mesh-config', p.meshConfigFile] : []),
    ]),
    logFile: join(p.logDir, 'pilot.log'),
    ready: () => httpOk(`${monitoring}/debug/syncz`),
  };
}

export function gatewaySpec(p: Placement, g: GatewayPlan): ChildSpec {
  return {
    name: g.name,
    ...node([
      PETREL,
      'proxy',
      '--role',
      'router',
      ...pilotFlags(p, g.namespace, GATEWAY_SERVICE_ACCOUNT),
      '--pod-name',
      g.name,
      '--namespace',
      g.namespace,
      '--ip',
      p.host,
      '--labels',
      labelsFlag(g.labels),
      '--service-account',
      GATEWAY_SERVICE_ACCOUNT,
      '--admin-port',
      String(g.adminPort),
      '--status-port',
      '15020',
      '--health-port',
      '15021',
      '--probe-host',
      g.probeIp,
      '--bind-ip',
      p.host,
      '--drain-duration',
      String(p.drainMs),
    ]),
    logFile: join(p.logDir, `${g.name}.log`),
    ready: () => httpOk(`http://${g.probeIp}:15021/healthz/ready`),
  };
}

export function appSpec(p: Placement, pod: PodPlan): ChildSpec {
  const env: Record<string, string> = {
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    VERSION: pod.labels.version ?? 'v1',
    LISTEN: `${p.capture ? '0.0.0.0' : pod.ip}:${APP_PORT}`,
  };
  // Without capture the app must call its sidecar explicitly (Istio's captureMode NONE).
  if (!p.capture) env.MESH_EGRESS = pod.loopback;
  return {
    name: `${pod.name} app`,
    ...p.wrap(pod, 'app', ...spread(node([pod.appFile]))),
    env,
    logFile: join(p.logDir, `${pod.name}.app.log`),
    ready: () => tcpOpen(pod.ip, APP_PORT),
    important: (l) => /error|Error|cannot/.test(l),
  };
}

export function sidecarSpec(p: Placement, pod: PodPlan): ChildSpec {
  const args = [
    PETREL,
    'proxy',
    '--role',
    'sidecar',
    ...pilotFlags(p, pod.namespace, pod.serviceAccount),
    '--pod-name',
    pod.name,
    '--namespace',
    pod.namespace,
    '--ip',
    pod.ip,
    '--labels',
    labelsFlag(pod.labels),
    '--service-account',
    pod.serviceAccount,
    '--admin-port',
    String(p.capture ? 15000 : pod.adminPort),
    '--status-port',
    '15020',
    '--health-port',
    '15021',
    '--probe-host',
    pod.ip,
    '--drain-duration',
    String(p.drainMs),
  ];
  if (!p.capture) args.push('--bind-ip', pod.loopback);
  return {
    name: `${pod.name} sidecar`,
    ...p.wrap(pod, 'proxy', ...spread(node(args))),
    // The pods here stand for Deployments' pods: the workload is the pod's name (reviews-v2).
    env: {
      ISTIO_META_WORKLOAD_NAME: pod.name,
      ...(p.capture ? {} : { ISTIO_META_INTERCEPTION_MODE: 'NONE' }),
    },
    logFile: join(p.logDir, `${pod.name}.sidecar.log`),
    ready: () => httpOk(`http://${pod.ip}:15021/healthz/ready`),
  };
}

function spread(c: { command: string; args: string[] }): [string, string[]] {
  return [c.command, c.args];
}
