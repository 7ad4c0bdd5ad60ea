// Runs Istio's pilot-discovery (built by build-peers.sh) in file mode on loopback:
// config from --configDir, no Kubernetes, every port ephemeral. Resolves once
// Istio says its gRPC xDS server is listening, which it does only after its
// caches synced and the first push context was built.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IstioPilot {
  /** host:port of the plaintext xDS (ADS) server, Istio's 15010. */
  xdsAddress: string;
  /** Everything Istio logged so far. */
  log(): string;
  stop(): Promise<void>;
}

const READY = /starting gRPC discovery service at (\S+:\d+)/;

export function startIstioPilot(
  binary: string,
  configDir: string,
  timeoutMs = 60_000,
): Promise<IstioPilot> {
  // Istio reads ./etc/istio/config/mesh and friends relative to its working
  // directory; an empty one means its built-in defaults, like a fresh install.
  const cwd = mkdtempSync(join(tmpdir(), 'petrel-istiod-'));
  const env = { ...process.env };
  delete env.KUBECONFIG; // no cluster: file mode only
  // --flag=value pairs (pflag syntax) keep each setting on one line.
  const args = [
    'discovery',
    `--configDir=${configDir}`,
    '--registries=', // no service registry but the config dir's ServiceEntries
    '--domain=cluster.local',
    '--grpcAddr=127.0.0.1:0',
    '--httpAddr=127.0.0.1:0',
    '--httpsAddr=127.0.0.1:0',
    '--secureGRPCAddr=', // no 15012: the probe speaks plaintext
    '--monitoringAddr=127.0.0.1:0',
    '--ctrlz_address=127.0.0.1',
    '--ctrlz_port=0',
    '--shutdownDuration=1s',
    '--log_output_level=default:info',
  ];
  const child: ChildProcess = spawn(binary, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(cwd, { recursive: true, force: true });
  };

  return new Promise<IstioPilot>((resolve, reject) => {
    let done = false;
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void stop().then(() =>
        reject(
          new Error(
            `Istio pilot-discovery ${why}; its log ends:\n${output.split('\n').slice(-30).join('\n')}`,
          ),
        ),
      );
    };
    const timer = setTimeout(
      () => fail(`did not start serving xDS within ${timeoutMs} ms`),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = READY.exec(output);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ xdsAddress: m[1]!, log: () => output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => fail(`could not be started: ${err.message}`));
    child.once('exit', (code, signal) =>
      fail(`exited before serving xDS (code ${code}, signal ${signal})`),
    );
  });
}
