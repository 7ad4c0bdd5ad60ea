// `petrel proxy`: the sidecar or gateway. The agent (xDS, identity, health, admin,
// drain) drives the data path (listeners, routing, upstreams) through DataPlane.
import { startAgent } from '../../sidecar/agent/agent.ts';
import { originalDestination } from '../../sidecar/capture/original-dst.ts';
import { ProxyDataPlane } from '../../sidecar/proxy/data-plane.ts';
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
  },
  help: [
    '  --role sidecar|router     sidecar next to an app, or a gateway (default sidecar)',
    '  --xds-address HOST:PORT   pilot (default 127.0.0.1:15010)',
    '  --delta                   use incremental (delta) xDS instead of state-of-the-world',
    '  --node-id ID              full xDS node id (default built Istio\'s way from the fields below)',
    '  --pod-name, --namespace, --ip, --service-account   identity (default POD_NAME, POD_NAMESPACE,',
    '                            INSTANCE_IP, SERVICE_ACCOUNT from the environment)',
    '  --labels k=v,k=v          workload labels (default ISTIO_META_* / the pod environment)',
    '  --admin-port N            admin API on 127.0.0.1 (default 15000)',
    '  --status-port N           status and merged metrics (default 15020)',
    '  --health-port N           /healthz/ready (default 15021)',
    '  --probe-host ADDR         address of the health and status ports (default 0.0.0.0)',
    '  --drain-duration MS       longest drain on SIGTERM (default 5000)',
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

export const proxyCommand: Command = {
  summary: 'the sidecar or gateway proxy, configured by pilot over xDS',
  async run(args) {
    const values = parseFlags(args, FLAGS, 'proxy');
    const role = (values.role as string | undefined) ?? 'sidecar';
    if (role !== 'sidecar' && role !== 'router') throw new CliError(`--role ${role}: must be sidecar or router`);
    const drain = values['drain-duration'] === undefined ? undefined : Number(values['drain-duration']);
    if (drain !== undefined && !(drain >= 0)) throw new CliError(`--drain-duration ${String(values['drain-duration'])}: must be milliseconds`);
    const dataPlane = new ProxyDataPlane({
      // Bind failures surface after applyConfig returns (binding is asynchronous), so
      // they are logged here rather than NACKed; the rest of the update stays applied.
      onListenerError: (line) => console.error(`error\tlistener: ${line}`),
      originalDestination,
    });
    const done = new Promise<number>((resolve) => {
      void startAgent({
        xdsAddress: (values['xds-address'] as string | undefined) ?? '127.0.0.1:15010',
        dataPlane,
        delta: values.delta === true,
        identity: {
          role,
          nodeId: values['node-id'] as string | undefined,
          podName: values['pod-name'] as string | undefined,
          namespace: values.namespace as string | undefined,
          ips: values.ip ? String(values.ip).split(',') : undefined,
          labels: parseLabels(values.labels as string | undefined),
          serviceAccount: values['service-account'] as string | undefined,
        },
        adminPort: portFlag(values, 'admin-port', 15000),
        statusPort: portFlag(values, 'status-port', 15020),
        healthPort: portFlag(values, 'health-port', 15021),
        probeHost: values['probe-host'] as string | undefined,
        drainDurationMs: drain,
        dataPlaneAdmin: dataPlane,
        commandLineOptions: values,
        exit: resolve,
      }).catch((err: Error) => {
        console.error(`petrel proxy: ${err.message}`);
        resolve(1);
      });
    });
    return done;
  },
};
