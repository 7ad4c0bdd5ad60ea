// `petrel injector`: the sidecar injection and config validation webhooks alone
// (pilot serves them too). Istio's paths (/inject, /validate) on port 15017.
import { KubeConfig } from '@kubernetes/client-node';
import { injectorConfig, type InjectionPolicy } from '../../injector/config.ts';
import { errorLine } from '../../injector/errors.ts';
import { kubeNamespaceLabels } from '../../injector/namespace-labels.ts';
import { startInjectorServer } from '../../injector/server.ts';
import { loadTlsFiles, watchTlsFiles, type TlsFiles } from '../../injector/tls-files.ts';
import { istioWebhookConfigNames, keepWebhookCaBundles } from '../../injector/webhook-config.ts';
import { CliError } from '../errors.ts';
import { parseFlags, portFlag } from '../flags.ts';
import type { Command } from '../main.ts';

const FLAGS = {
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'ca-cert': { type: 'string' },
    revision: { type: 'string' },
    'proxy-image': { type: 'string' },
    'native-sidecars': { type: 'boolean' },
    policy: { type: 'string' },
    'xds-address': { type: 'string' },
    'cluster-id': { type: 'string' },
    'trust-domain': { type: 'string' },
    'system-namespace': { type: 'string' },
    kube: { type: 'boolean' },
  },
  help: [
    '  --port N                 HTTPS port of /inject, /validate, /ready (default 15017)',
    '  --host ADDR              address to listen on (default 127.0.0.1; 0.0.0.0 in a pod)',
    '  --tls-cert F --tls-key F serving certificate and key (PEM), reloaded when they change;',
    '                           without them a CA and certificate are generated in memory',
    '  --ca-cert F              CA of --tls-cert, for the webhook caBundle (default: --tls-cert)',
    '  --revision R             control-plane revision served (istio.io/rev; default "default")',
    '  --proxy-image I          image of istio-proxy and istio-init (default petrel/petrel:<version>)',
    '  --native-sidecars        inject the proxy as a Kubernetes native sidecar (init container, restartPolicy Always)',
    '  --policy enabled|disabled  default injection policy (default enabled: inject unless the pod opts out)',
    '  --xds-address HOST:PORT  where injected proxies find pilot (default istiod[-R].istio-system.svc:15012)',
    '  --cluster-id ID          ISTIO_META_CLUSTER_ID of injected proxies (default Kubernetes)',
    '  --trust-domain NAME      SPIFFE trust domain (default cluster.local)',
    '  --system-namespace NS    namespace of the control plane (default $POD_NAMESPACE, else istio-system)',
    '  --kube                   use the Kubernetes API (in-cluster or KUBECONFIG): read namespace labels,',
    '                           keep the caBundle of istio-sidecar-injector / istio-validator-<ns> current',
  ].join('\n'),
} as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const injectorCommand: Command = {
  summary: 'the sidecar injection and validation webhooks',
  async run(args) {
    const values = parseFlags(args, FLAGS, 'injector');
    const certFile = str(values['tls-cert']);
    const keyFile = str(values['tls-key']);
    if (!certFile !== !keyFile)
      throw new CliError(
        'give both --tls-cert and --tls-key, or neither (a certificate is then generated)',
      );
    if (values['ca-cert'] !== undefined && !certFile)
      throw new CliError('--ca-cert: only with --tls-cert and --tls-key');
    const policy = str(values.policy);
    if (policy !== undefined && policy !== 'enabled' && policy !== 'disabled')
      throw new CliError(`--policy ${policy}: must be enabled or disabled`);
    const log = (line: string) => console.error(line);
    let config;
    let files: TlsFiles | undefined;
    let kc: KubeConfig | undefined;
    try {
      config = injectorConfig({
        ...(str(values.revision) !== undefined ? { revision: str(values.revision)! } : {}),
        ...(str(values['proxy-image']) !== undefined
          ? { proxyImage: str(values['proxy-image'])! }
          : {}),
        ...(str(values['xds-address']) !== undefined
          ? { xdsAddress: str(values['xds-address'])! }
          : {}),
        ...(str(values['cluster-id']) !== undefined
          ? { clusterId: str(values['cluster-id'])! }
          : {}),
        ...(str(values['trust-domain']) !== undefined
          ? { trustDomain: str(values['trust-domain'])! }
          : {}),
        ...(str(values['system-namespace']) !== undefined
          ? { systemNamespace: str(values['system-namespace'])! }
          : {}),
        ...(policy ? { policy: policy as InjectionPolicy } : {}),
        nativeSidecars: values['native-sidecars'] === true,
      });
      if (certFile && keyFile)
        files = {
          cert: certFile,
          key: keyFile,
          ...(str(values['ca-cert']) ? { ca: str(values['ca-cert'])! } : {}),
        };
      if (values.kube === true) {
        kc = new KubeConfig();
        kc.loadFromDefault();
        if (!kc.getCurrentCluster())
          throw new CliError(
            '--kube: no usable kubeconfig (KUBECONFIG, ~/.kube/config or in-cluster)',
          );
      }
    } catch (err) {
      throw new CliError(errorLine(err));
    }
    let server;
    try {
      server = await startInjectorServer({
        config,
        host: str(values.host) ?? '127.0.0.1',
        port: portFlag(values, 'port', 15017),
        ...(files ? { tls: loadTlsFiles(files) } : {}),
        ...(kc ? { namespaceLabels: kubeNamespaceLabels(kc) } : {}),
        log,
      });
    } catch (err) {
      throw new CliError(errorLine(err));
    }
    const running = server;
    const stopWatch = files
      ? watchTlsFiles(files, (tls) => running.setCertificate(tls), log)
      : undefined;
    const keeper = kc
      ? keepWebhookCaBundles(kc, () => running.caPem, {
          names: istioWebhookConfigNames(config.revision, config.systemNamespace),
          log,
        })
      : undefined;
    log(
      `petrel injector: serving ${running.url} (/inject, /validate, /ready), revision ${config.revision}, image ${config.proxyImage}`,
    );
    await waitForSignal();
    stopWatch?.();
    keeper?.stop();
    await running.close();
    return 0;
  },
};
