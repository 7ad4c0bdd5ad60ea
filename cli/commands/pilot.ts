// `petrel pilot`: the control plane.
import { KubeConfig } from '@kubernetes/client-node';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { injectorConfig } from '../../injector/config.ts';
import { kubeNamespaceLabels } from '../../injector/namespace-labels.ts';
import { startInjectorServer } from '../../injector/server.ts';
import { istioWebhookConfigNames, keepWebhookCaBundles } from '../../injector/webhook-config.ts';
import { startPilotDashboard } from '../../dashboard/server.ts';
import { startPilot } from '../../pilot/main.ts';
import { readMeshFile, type MeshFile } from '../../pilot/model/mesh-file.ts';
import { CliError } from '../errors.ts';
import { parseFlags, portFlag } from '../flags.ts';
import type { Command } from '../main.ts';

const FLAGS = {
  options: {
    'config-dir': { type: 'string' },
    kube: { type: 'boolean' },
    host: { type: 'string' },
    'xds-port': { type: 'string' },
    'xds-tls-port': { type: 'string' },
    'webhook-port': { type: 'string' },
    'monitoring-port': { type: 'string' },
    'debounce-after': { type: 'string' },
    'debounce-max': { type: 'string' },
    'trust-domain': { type: 'string' },
    'mesh-config': { type: 'string' },
    'ca-state-dir': { type: 'string' },
    cacerts: { type: 'string' },
    'bootstrap-tokens': { type: 'string' },
    'dashboard-port': { type: 'string' },
  },
  help: [
    '  --config-dir DIR        read and watch Istio/Kubernetes YAML files in DIR (file mode)',
    '  --kube                  read config from the Kubernetes API (in-cluster or KUBECONFIG)',
    '  --host ADDR             address to listen on (default 127.0.0.1; 0.0.0.0 in a pod)',
    '  --xds-port N            plaintext xDS (default 15010)',
    '  --monitoring-port N     /metrics and /debug/* (default 15014)',
    '  --debounce-after MS     quiet time before a push (default 100)',
    '  --debounce-max MS       longest a change waits for a push (default 1000)',
    '  --trust-domain NAME     SPIFFE trust domain (default cluster.local; wins over the mesh config)',
    "  --mesh-config FILE      Istio's MeshConfig YAML (ConfigMap istio, key mesh), e.g. /etc/istio/config/mesh",
    '  --webhook-port N        also serve the injector and validation webhooks (HTTPS, /inject, /validate)',
    '  --xds-tls-port N        xDS and the mesh CA (IstioCertificateService) over TLS (Istio: 15012)',
    '  --ca-state-dir DIR      file mode: keep the generated root CA here (default ~/.petrel/ca)',
    '  --cacerts DIR           plugged-in CA: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem',
    '  --bootstrap-tokens F    file mode: "token namespace serviceAccount" lines the CA accepts',
    '  --dashboard-port N      also serve the mesh dashboard (service graph, sync status, routes)',
  ].join('\n'),
} as const;

function msFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`--${name} ${String(raw)}: must be a number of milliseconds`);
  return n;
}

/**
 * The mesh settings: the --mesh-config file (its warnings printed, one line each),
 * then --trust-domain, then Istio's K8S_INGRESS_NS for the namespace of the
 * Gateways made from Ingresses and of the ingress Service.
 */
function meshSettings(values: Record<string, unknown>): MeshFile {
  const file = values['mesh-config'] as string | undefined;
  let read: MeshFile = { mesh: {}, proxy: {}, warnings: [] };
  if (file !== undefined) {
    try {
      read = readMeshFile(file);
    } catch (err) {
      throw new CliError(`--mesh-config ${(err as Error).message}`);
    }
  }
  for (const w of read.warnings) console.error(`warn\t${w}`);
  const mesh = { ...read.mesh };
  if (values['trust-domain']) mesh.trustDomain = values['trust-domain'] as string;
  if (process.env.K8S_INGRESS_NS) mesh.ingressNamespace = process.env.K8S_INGRESS_NS;
  return { ...read, mesh };
}

async function startWebhooks(values: Record<string, unknown>, kube: boolean, settings: MeshFile) {
  const { mesh, proxy } = settings;
  const config = injectorConfig({
    ...(mesh.trustDomain ? { trustDomain: mesh.trustDomain } : {}),
    ...(proxy.discoveryAddress ? { xdsAddress: proxy.discoveryAddress } : {}),
    ...(proxy.holdApplicationUntilProxyStarts !== undefined
      ? { holdApplicationUntilProxyStarts: proxy.holdApplicationUntilProxyStarts }
      : {}),
    ...(proxy.meshId ? { meshId: proxy.meshId } : {}),
  });
  let kc: KubeConfig | undefined;
  if (kube) {
    kc = new KubeConfig();
    kc.loadFromDefault();
  }
  const server = await startInjectorServer({
    config,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    port: portFlag(values, 'webhook-port', 15017),
    ...(kc ? { namespaceLabels: kubeNamespaceLabels(kc) } : {}),
    log: (line) => console.error(`info\t${line}`),
  });
  const keeper = kc
    ? keepWebhookCaBundles(kc, () => server.caPem, {
        names: istioWebhookConfigNames(config.revision, config.systemNamespace),
        log: (line) => console.error(`info\t${line}`),
      })
    : undefined;
  return { server, keeper };
}

export const pilotCommand: Command = {
  summary: 'the control plane: Istio config in, Envoy xDS out',
  async run(args) {
    const values = parseFlags(args, FLAGS, 'pilot');
    const configDir = values['config-dir'] as string | undefined;
    const kube = values.kube === true;
    if (!configDir === !kube) throw new CliError('give exactly one of --config-dir DIR or --kube');
    const settings = meshSettings(values);
    let pilot;
    try {
      pilot = await startPilot({
        configDir,
        kube,
        host: (values.host as string | undefined) ?? '127.0.0.1',
        xdsPort: portFlag(values, 'xds-port', 15010),
        monitoringPort: portFlag(values, 'monitoring-port', 15014),
        xdsTlsPort:
          values['xds-tls-port'] === undefined
            ? undefined
            : portFlag(values, 'xds-tls-port', 15012),
        ca: {
          stateDir: kube
            ? undefined
            : ((values['ca-state-dir'] as string | undefined) ?? join(homedir(), '.petrel', 'ca')),
          cacertsDir: values.cacerts as string | undefined,
          bootstrapTokensFile: values['bootstrap-tokens'] as string | undefined,
        },
        debounceMs: msFlag(values, 'debounce-after'),
        debounceMaxMs: msFlag(values, 'debounce-max'),
        mesh: settings.mesh,
      });
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    // DESIGN: pilot also serves the webhooks (15017), as istiod does. pilot/ and
    // injector/ never import each other, so the CLI runs both in one process.
    const webhook =
      values['webhook-port'] === undefined
        ? undefined
        : await startWebhooks(values, kube, settings).catch(async (err: Error) => {
            await pilot.stop();
            throw new CliError(`--webhook-port: ${err.message}`);
          });
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const dashboard =
      values['dashboard-port'] === undefined
        ? undefined
        : await startPilotDashboard({
            host,
            port: portFlag(values, 'dashboard-port', 15080),
            monitoring: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${pilot.monitoringPort}`,
          });
    if (dashboard) console.error(`info\tdashboard on http://${host}:${dashboard.port}/`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await dashboard?.close();
    webhook?.keeper?.stop();
    await webhook?.server.close();
    await pilot.stop();
    return 0;
  },
};
