// `petrel proxy`: the sidecar or gateway. The agent (xDS, identity, health, admin,
// drain) drives the data path (listeners, routing, upstreams) through DataPlane.
import { startAgent } from '../../sidecar/agent/agent.ts';
import { originalDestination } from '../../sidecar/capture/original-dst.ts';
import { ProxyDataPlane } from '../../sidecar/proxy/data-plane.ts';
import {
  attachTelemetry,
  TELEMETRY_FLAG_HELP,
  TELEMETRY_FLAG_OPTIONS,
  telemetryConfigFromFlags,
  type ProxyTelemetry,
} from './proxy-telemetry.ts';
import {
  IDENTITY_FLAG_HELP,
  IDENTITY_FLAG_OPTIONS,
  identityConfigFromFlags,
  startProxyIdentity,
  xdsCredentials,
} from './proxy-identity.ts';
import { parseAppProbers, type AppProbers } from '../../sidecar/agent/app-probers.ts';
import { AgentError } from '../../sidecar/agent/errors.ts';
import { buildNodeIdentity } from '../../sidecar/agent/node-identity.ts';
import { SecretMerge } from '../../sidecar/identity/secret-merge.ts';
import type { WorkloadIdentity } from '../../sidecar/identity/workload-identity.ts';
import { isIP } from 'node:net';
import { CliError } from '../errors.ts';
import { parseFlags, portFlag } from '../flags.ts';
import type { Command } from '../main.ts';

const FLAGS = {
  options: {
    role: { type: 'string' },
    'xds-address': { type: 'string' },
    delta: { type: 'boolean' },
    'node-id': { type: 'string' },
    'pod-name': { type: 'string' },
    namespace: { type: 'string' },
    ip: { type: 'string' },
    labels: { type: 'string' },
    'service-account': { type: 'string' },
    'admin-port': { type: 'string' },
    'status-port': { type: 'string' },
    'health-port': { type: 'string' },
    'probe-host': { type: 'string' },
    'drain-duration': { type: 'string' },
    'bind-ip': { type: 'string' },
    ...TELEMETRY_FLAG_OPTIONS,
    ...IDENTITY_FLAG_OPTIONS,
  },
  help: [
    '  --role sidecar|router     sidecar next to an app, or a gateway (default sidecar)',
    '  --xds-address HOST:PORT   pilot (default 127.0.0.1:15010)',
    '  --delta                   use incremental (delta) xDS instead of state-of-the-world',
    "  --node-id ID              full xDS node id (default built Istio's way from the fields below)",
    '  --pod-name, --namespace, --ip, --service-account   identity (default POD_NAME, POD_NAMESPACE,',
    '                            INSTANCE_IP, SERVICE_ACCOUNT from the environment)',
    '  --labels k=v,k=v          workload labels (default ISTIO_META_* / the pod environment)',
    '  --admin-port N            admin API on 127.0.0.1 (default 15000)',
    '  --status-port N           status and merged metrics (default 15020)',
    '  --health-port N           /healthz/ready (default 15021)',
    '  --probe-host ADDR         address of the health and status ports (default 0.0.0.0)',
    '  --drain-duration MS       longest drain on SIGTERM (default 5000)',
    '  --bind-ip IP              bind listeners configured on 0.0.0.0/::/127.0.0.1/::1 on IP instead',
    '                            (several proxies on one host without network namespaces: petrel local)',
    TELEMETRY_FLAG_HELP,
    IDENTITY_FLAG_HELP,
    '',
    '  petrel proxy wait [flags]   block until the proxy is ready (the postStart hook of',
    '                            holdApplicationUntilProxyStarts); see petrel proxy wait --help',
    '  environment: ISTIO_KUBE_APP_PROBERS (written by the injector) lists the app probes the',
    '                            status port runs for /app-health/<container>/<kind>',
  ].join('\n'),
} as const;

export function parseLabels(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--labels ${text}: "${pair}" is not key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** The injector's rewritten probes; a bad value stops the start, as it stops pilot-agent's. */
function appProbersFromEnv(): AppProbers {
  try {
    return parseAppProbers(process.env.ISTIO_KUBE_APP_PROBERS);
  } catch (err) {
    if (err instanceof AgentError) throw new CliError(err.message);
    throw err;
  }
}

export const proxyCommand: Command = {
  summary: 'the sidecar or gateway proxy, configured by pilot over xDS',
  async run(args) {
    const values = parseFlags(args, FLAGS, 'proxy');
    const role = (values.role as string | undefined) ?? 'sidecar';
    if (role !== 'sidecar' && role !== 'router')
      throw new CliError(`--role ${role}: must be sidecar or router`);
    const drain =
      values['drain-duration'] === undefined ? undefined : Number(values['drain-duration']);
    if (drain !== undefined && !(drain >= 0))
      throw new CliError(
        `--drain-duration ${String(values['drain-duration'])}: must be milliseconds`,
      );
    const telemetryConfig = telemetryConfigFromFlags(values);
    const appProbers = appProbersFromEnv();
    const xdsAddress = (values['xds-address'] as string | undefined) ?? '127.0.0.1:15010';
    const identityConfig = identityConfigFromFlags(values, xdsAddress);
    const credentials = xdsCredentials(identityConfig);
    const probeHost = values['probe-host'] as string | undefined;
    const bindIp = values['bind-ip'] as string | undefined;
    // Caught here: a bad address would otherwise start the proxy and NACK every listener.
    if (bindIp !== undefined && isIP(bindIp) === 0)
      throw new CliError(`--bind-ip ${bindIp}: must be an IPv4 or IPv6 address`);
    const dataPlane = new ProxyDataPlane({
      // A listener that cannot bind is NACKed (the agent waits for the binds) and
      // logged here; the rest of the update stays applied.
      onListenerError: (line) => console.error(`error\tlistener: ${line}`),
      onConfigWarning: (line) => console.error(`warn\tconfig: ${line}`),
      originalDestination,
      bindIp,
      // Without a CA there is no certificate: auto mTLS falls back to plaintext.
      workloadIdentity: identityConfig.ca !== undefined,
    });
    // The workload certificate (`default`, `ROOTCA`) and pilot's Secrets reach the data
    // path through one merge; the agent gets the xDS side of it.
    const secrets = new SecretMerge(dataPlane);
    const nodeOptions = {
      role: role as 'sidecar' | 'router',
      nodeId: values['node-id'] as string | undefined,
      podName: values['pod-name'] as string | undefined,
      namespace: values.namespace as string | undefined,
      ips: values.ip ? String(values.ip).split(',') : undefined,
      labels: parseLabels(values.labels as string | undefined),
      serviceAccount: values['service-account'] as string | undefined,
    };
    const identityLog = {
      debug: () => {},
      info: (l: string) => console.error(`info\t${l}`),
      warn: (l: string) => console.error(`warn\t${l}`),
      error: (l: string) => console.error(`error\t${l}`),
    };
    // As Istio's agent does, the certificate comes first: mTLS chains would refuse
    // every connection until it arrived.
    let workloadIdentity: WorkloadIdentity | undefined;
    try {
      workloadIdentity = await startProxyIdentity(
        identityConfig,
        buildNodeIdentity(nodeOptions),
        secrets.identity,
        identityLog,
      );
    } catch (err) {
      throw new CliError(`identity: ${(err as Error).message}`);
    }
    // startAgent builds the node telemetry labels its metrics with, so telemetry is
    // made once it returns; the agent's servers reach it through these closures.
    let wired: ProxyTelemetry | undefined;
    const telemetry = () => {
      if (!wired) throw new Error('telemetry is not started yet');
      return wired.telemetry;
    };
    const startedAt = new Date();
    let failed = false;
    const done = new Promise<number>((resolve) => {
      const finish = (code: number) => {
        workloadIdentity?.stop();
        // Flush the access log and spans before the process goes.
        void (wired?.close() ?? Promise.resolve()).finally(() => resolve(failed ? 1 : code));
      };
      void startAgent({
        xdsAddress,
        dataPlane: secrets.xds,
        credentials,
        delta: values.delta === true,
        identity: { ...nodeOptions, prometheusPort: telemetryConfig.statsPort },
        adminPort: portFlag(values, 'admin-port', 15000),
        statusPort: portFlag(values, 'status-port', 15020),
        healthPort: portFlag(values, 'health-port', 15021),
        probeHost,
        drainDurationMs: drain,
        dataPlaneAdmin: dataPlane,
        commandLineOptions: values,
        appProbers,
        prometheus: (stats) => telemetry().prometheus(stats),
        metrics: (req) => telemetry().statusMetrics(req),
        exit: finish,
      }).then(
        async (agent) => {
          try {
            wired = await attachTelemetry({
              dataPlane,
              agent,
              config: telemetryConfig,
              startedAt,
              statsHost: probeHost,
              log: {
                warn: (l) => console.error(`warn\t${l}`),
                error: (l) => console.error(`error\t${l}`),
              },
            });
          } catch (err) {
            console.error(`petrel proxy: ${(err as Error).message}`);
            failed = true;
            await agent.shutdown('telemetry failed to start');
          }
        },
        (err: Error) => {
          console.error(`petrel proxy: ${err.message}`);
          workloadIdentity?.stop();
          resolve(1);
        },
      );
    });
    return done;
  },
};
