// Assembles pilot: a config source fills the store; every change becomes a push
// request to the ADS server, which debounces, builds the PushContext once and
// pushes what changed to the proxies it affects. One direction, no back and forth.
import { KubeConfig } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { startCaServer, type RunningCaServer } from './ca/index.ts';
import type { ConfigDiagnostic, ConfigEvent, ConfigSource } from './config/types.ts';
import { FileConfigSource } from './config/file-source.ts';
import { KubeConfigSource } from './config/kube-source.ts';
import { MemoryConfigStore } from './config/memory-store.ts';
import type { MeshConfig } from './model/types.ts';
import { meshGenerators } from './translate/index.ts';
import { XdsServer } from './xds/server.ts';
import { startMonitoring, type MonitoringServer } from './xds/monitoring.ts';
import type { XdsLogger } from './xds/types.ts';
import { LazyPush, lazyGenerators } from './lazy-push.ts';
import { meshConfig } from './model/mesh-config.ts';
import { setTranslationLog } from './translate/security/translation-log.ts';
import { IngressStatusSync, STATUS_INPUT_KINDS } from './model/ingress/status-sync.ts';
// Only endpoints changed: Istio pushes EDS alone (an incremental push) then.
import { isEndpointOnlyChange } from './model/service-registry/endpoint-changes.ts';

export interface PilotOptions {
  /** File mode: a directory of YAML files, watched. */
  configDir?: string;
  /** Kubernetes mode: informers against the API server (in-cluster or KUBECONFIG). */
  kube?: boolean;
  /** Kubernetes mode: the cluster to use instead of KUBECONFIG / in-cluster (tests). */
  kubeConfig?: KubeConfig;
  host?: string;
  xdsPort?: number;
  monitoringPort?: number;
  /** xDS and the mesh CA over TLS (Istio's 15012); undefined leaves it off. */
  xdsTlsPort?: number;
  /** The CA: where a self-signed root is kept (file mode), or a plugged-in `cacerts` dir. */
  ca?: { stateDir?: string; cacertsDir?: string; bootstrapTokensFile?: string };
  debounceMs?: number;
  debounceMaxMs?: number;
  mesh?: Partial<MeshConfig>;
  log?: XdsLogger;
}

export interface RunningPilot {
  xdsPort: number;
  /** The TLS port serving xDS and the CA, when enabled. */
  xdsTlsPort?: number;
  /** PEM of the mesh root certificate, when the CA runs. */
  rootCertPem?: string;
  monitoringPort: number;
  /** The config problems currently in force, one line each. */
  diagnostics(): string[];
  stop(): Promise<void>;
}

const stderrLog: XdsLogger = {
  debug: () => {},
  info: (m) => console.error(`info\t${m}`),
  warn: (m) => console.error(`warn\t${m}`),
  error: (m) => console.error(`error\t${m}`),
};

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export async function startPilot(options: PilotOptions): Promise<RunningPilot> {
  if (!options.configDir === !options.kube)
    throw new Error('pilot needs exactly one config source: a config dir or kube');
  const log = options.log ?? stderrLog;
  const host = options.host ?? '127.0.0.1';
  // A bad mesh setting fails here, before anything listens.
  const mesh = meshConfig(options.mesh);
  const store = new MemoryConfigStore();
  const kubeSource = options.kube
    ? new KubeConfigSource({ store, kubeConfig: options.kubeConfig })
    : undefined;
  const source: ConfigSource =
    kubeSource ?? new FileConfigSource({ dir: options.configDir!, store });
  source.onDiagnostic((d: ConfigDiagnostic) =>
    d.severity === 'error' ? log.error(d.message) : log.warn(d.message),
  );

  const xds = new XdsServer<LazyPush>({
    generators: lazyGenerators(meshGenerators()),
    debounceQuietMs: options.debounceMs,
    debounceMaxMs: options.debounceMaxMs,
    log,
  });
  const buildOptions = { mesh };

  await source.start();
  let ingressStatus: IngressStatusSync | undefined;
  // Security translation problems (a CUSTOM provider that cannot be used) go to this
  // pilot's log from its first push on.
  const restoreTranslationLog = setTranslationLog(log);
  // Listening before the first snapshot is taken: a change that lands while the
  // first push runs gets its own push instead of being lost.
  store.onChange((event: ConfigEvent) => {
    const endpointsOnly = isEndpointOnlyChange(event);
    xds.push(new LazyPush(store.snapshot(), buildOptions), {
      full: !endpointsOnly,
      configsUpdated: new Set([event.key]),
      reason: [endpointsOnly ? 'endpoint' : 'config'],
    });
    if (STATUS_INPUT_KINDS.has(event.kind)) ingressStatus?.trigger();
  });
  xds.push(new LazyPush(store.snapshot(), buildOptions), {
    full: true,
    configsUpdated: new Set(),
    reason: ['global'],
  });
  await xds.flush();

  // As Istio's ingress controller in kube mode: the Ingresses pilot serves carry the gateway's addresses.
  ingressStatus = kubeSource
    ? new IngressStatusSync({
        snapshot: () => store.snapshot(),
        mesh,
        write: (update) => kubeSource.writeIngressStatus(update),
        log,
      })
    : undefined;
  ingressStatus?.trigger();

  const xdsPort = await xds.listen(`${host}:${options.xdsPort ?? 15010}`);
  let monitoring: MonitoringServer;
  let caServer: RunningCaServer | undefined;
  try {
    if (options.xdsTlsPort !== undefined) {
      caServer = await startCaServer({
        host,
        port: options.xdsTlsPort,
        trustDomain: mesh.trustDomain,
        stateDir: options.ca?.stateDir,
        cacertsDir: options.ca?.cacertsDir,
        bootstrapTokensFile: options.ca?.bootstrapTokensFile,
        kube: options.kube ? (options.kubeConfig ?? defaultKubeConfig()) : undefined,
        services: [(server) => xds.addToServer(server)],
        // Proxies verify pilot by the address they dial: the listen address joins
        // loopback in the serving certificate's IP SANs.
        serving:
          isIP(host) && host !== '0.0.0.0' && host !== '::'
            ? { ips: [...new Set(['127.0.0.1', '::1', host])] }
            : undefined,
        log,
      });
    }
    monitoring = await startMonitoring(xds, { host, port: options.monitoringPort ?? 15014 });
  } catch (err) {
    restoreTranslationLog();
    await ingressStatus?.stop();
    await caServer?.stop();
    await xds.stop();
    throw err;
  }
  log.info(
    `pilot: xDS on ${host}:${xdsPort}${caServer ? `, xDS and CA over TLS on ${host}:${caServer.port}` : ''}, monitoring on ${host}:${monitoring.port}`,
  );

  return {
    xdsPort,
    xdsTlsPort: caServer?.port,
    rootCertPem: caServer?.rootCertPem(),
    monitoringPort: monitoring.port,
    diagnostics: () => source.status().origins.flatMap((o) => o.diagnostics.map((d) => d.message)),
    async stop() {
      restoreTranslationLog();
      await ingressStatus?.stop();
      await source.stop();
      await caServer?.stop();
      await xds.stop();
      await monitoring.close();
    },
  };
}
