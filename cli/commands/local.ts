// `petrel local` (what `npm start` runs): the whole mesh on one machine. Pilot in file
// mode over the config dir, the gateway on 127.0.0.1:8080, every sample app behind its
// own sidecar, the dashboard and merged metrics on 127.0.0.1:15080; Ctrl-C stops all.
// Every address and port has a flag, so a test can run a second mesh beside the first.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBootstrapTokens } from '../../pilot/ca/bootstrap-token-file.ts';
import { setupCapture } from '../local/capture.ts';
import { LocalError } from '../local/errors.ts';
import { readPlan, type LocalPlan } from '../local/plan.ts';
import { GATEWAY_SERVICE_ACCOUNT, type Placement } from '../local/processes.ts';
import { startLocalMesh } from '../local/supervisor.ts';
import { CliError } from '../errors.ts';
import { parseFlags, portFlag } from '../flags.ts';
import type { Command } from '../main.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const FLAGS = {
  options: {
    'config-dir': { type: 'string' },
    'mesh-config': { type: 'string' },
    capture: { type: 'boolean' },
    host: { type: 'string' },
    'loopback-net': { type: 'string' },
    'capture-net': { type: 'string' },
    'xds-port': { type: 'string' },
    'xds-tls-port': { type: 'string' },
    plaintext: { type: 'boolean' },
    'monitoring-port': { type: 'string' },
    'dashboard-port': { type: 'string' },
    'admin-port-base': { type: 'string' },
    'log-dir': { type: 'string' },
    'drain-duration': { type: 'string' },
    'start-timeout': { type: 'string' },
  },
  help: [
    '  --config-dir DIR        the mesh: Istio and Kubernetes YAML, watched (default samples/mesh)',
    "  --mesh-config FILE      Istio's MeshConfig YAML for pilot (e.g. extensionProviders for CUSTOM authz)",
    '  --capture               run each pod in its own network namespace with iptables capture,',
    '                          the sidecar as uid 1337, as in Kubernetes (needs root)',
    '  --host IP               pilot, gateway and dashboard address (default 127.0.0.1)',
    '  --loopback-net NET      without --capture: each pod\'s own "localhost", where its sidecar\'s',
    "                          outbound listeners bind (default 127.0.2.0/24, host part = pod IP's)",
    "  --capture-net NET       with --capture: the pods' bridge network (default 10.250.0.0/24)",
    '  --xds-port N            pilot xDS (default 15010)',
    '  --xds-tls-port N        pilot xDS and CA over TLS, for automatic mTLS (default 15012)',
    '  --plaintext             no mesh CA and no automatic mTLS (Istio runs mTLS by default)',
    '  --monitoring-port N     pilot /debug and /metrics (default 15014)',
    '  --dashboard-port N      dashboard and merged metrics (default 15080)',
    "  --admin-port-base N     proxies' admin ports on 127.0.0.1: gateway N, pods N+1… (default 15100)",
    "  --log-dir DIR           every process's log (default a new directory under the temp dir)",
    '  --drain-duration MS     how long proxies drain on stop (default 1000)',
    '  --start-timeout MS      how long to wait for every process to be ready (default 60000)',
  ].join('\n'),
} as const;

function numberFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`--${name} ${String(raw)}: must be a number of milliseconds`);
  return n;
}

/**
 * Files for pilot's CA: its state dir (the root it generates, readable by the
 * proxies, which run as uid 1337 with --capture) and one bootstrap token per
 * service account that runs a proxy.
 */
function meshCaSetup(
  logDir: string,
  xdsTlsPort: number,
  plan: LocalPlan,
): NonNullable<Placement['mtls']> {
  // Its own directory under the temp dir, not under the log dir: with --capture the
  // proxies run as uid 1337 and must reach root-cert.pem through every parent
  // directory, which a private log dir (mkdtemp, 0700) would not allow.
  const caDir = mkdtempSync(join(tmpdir(), 'petrel-local-ca-'));
  chmodSync(caDir, 0o755);
  process.once('exit', () => rmSync(caDir, { recursive: true, force: true }));
  const identities: [string, string][] = [
    ...plan.pods.map((p): [string, string] => [p.namespace, p.serviceAccount]),
    [plan.gateway.namespace, GATEWAY_SERVICE_ACCOUNT],
  ];
  const tokensFile = join(logDir, 'bootstrap-tokens');
  const tokens = writeBootstrapTokens(tokensFile, identities);
  return { xdsTlsPort, caDir, tokensFile, tokens };
}

export const localCommand: Command = {
  summary:
    'the whole mesh on one machine: pilot, a gateway, sample apps behind sidecars, a dashboard',
  async run(args) {
    const values = parseFlags(args, FLAGS, 'local');
    const configDir =
      (values['config-dir'] as string | undefined) ??
      (existsSync('samples/mesh') ? 'samples/mesh' : join(REPO, 'samples/mesh'));
    if (!existsSync(configDir)) throw new CliError(`--config-dir ${configDir}: no such directory`);
    const meshConfigFile = values['mesh-config'] as string | undefined;
    if (meshConfigFile !== undefined && !existsSync(meshConfigFile))
      throw new CliError(`--mesh-config ${meshConfigFile}: no such file`);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const capture = values.capture === true;
    const logDir =
      (values['log-dir'] as string | undefined) ?? join(tmpdir(), `petrel-local-${process.pid}`);
    const adminPortBase = portFlag(values, 'admin-port-base', 15100);
    let plan;
    try {
      plan = readPlan({
        configDir,
        appsDir: join(REPO, 'samples/apps'),
        loopbackNet: (values['loopback-net'] as string | undefined) ?? '127.0.2.0/24',
        adminPortBase,
      });
    } catch (err) {
      if (err instanceof LocalError) throw new CliError(err.message);
      throw err;
    }
    mkdirSync(resolve(logDir), { recursive: true });
    const base: Omit<Placement, 'wrap' | 'pilotHost'> = {
      host,
      xdsPort: portFlag(values, 'xds-port', 15010),
      monitoringPort: portFlag(values, 'monitoring-port', 15014),
      logDir: resolve(logDir),
      capture,
      drainMs: numberFlag(values, 'drain-duration', 1000),
      meshConfigFile: meshConfigFile === undefined ? undefined : resolve(meshConfigFile),
    };
    if (values.plaintext !== true) {
      base.mtls = meshCaSetup(base.logDir, portFlag(values, 'xds-tls-port', 15012), plan);
    }
    const captured = capture
      ? await setupCapture(
          plan,
          configDir,
          (values['capture-net'] as string | undefined) ?? '10.250.0.0/24',
          base.logDir,
        ).catch((err: Error) => {
          throw new CliError(err.message);
        })
      : undefined;
    const placement: Placement = captured
      ? { ...base, pilotHost: captured.pilotHost, wrap: captured.wrap }
      : { ...base, pilotHost: host, wrap: (_pod, _user, command, args) => ({ command, args }) };
    let mesh;
    try {
      mesh = await startLocalMesh({
        plan: captured?.plan ?? plan,
        placement,
        configDir,
        pilotConfigDir: captured?.pilotConfigDir ?? configDir,
        dashboardPort: portFlag(values, 'dashboard-port', 15080),
        startTimeoutMs: numberFlag(values, 'start-timeout', 60_000),
        mapLine: captured?.mapLine,
        teardown: captured?.teardown,
      });
    } catch (err) {
      await captured?.teardown();
      throw new CliError((err as Error).message);
    }
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stdout.write('\nstopping the mesh…\n');
    await mesh.stop();
    process.stdout.write('stopped.\n');
    return 0;
  },
};
