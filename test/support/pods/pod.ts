// A "pod" in a network namespace, started the way Kubernetes runs an injected pod:
// the init container (`petrel iptables` with the injector's flags), the app
// container, then the `istio-proxy` container (`petrel proxy --role sidecar`) as
// uid/gid 1337 with the pod's identity. `stop` ends only the processes it started.
import { join } from 'node:path';
import { spawnInPod, type PodProcess } from './process.ts';
import type { PodEndpoint } from './network.ts';
import { FIXTURES, NODE, PETREL, exec, must } from './run.ts';

/** The flags the injector gives `istio-init` (Istio's defaults). */
// prettier-ignore
export const INJECTED_IPTABLES_FLAGS = [
  '-p', '15001', '-z', '15006', '-u', '1337', '-g', '1337', '-m', 'REDIRECT',
  '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020',
];
export const PROXY_UID = 1337;
export const APP_PORT = 8080;
export const HEALTH_PORT = 15021;

export interface PodSpec {
  endpoint: PodEndpoint;
  /** The Pod object's name and namespace, as in the config pilot reads. */
  podName: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** pilot's xDS address as seen from the pod. */
  xdsAddress: string;
}

export interface RunningPod {
  spec: PodSpec;
  app: PodProcess;
  proxy: PodProcess;
  stop(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request from inside the pod (as root unless `uid` is given: root is an app, 1337 the proxy). */
export async function podRequest(
  netns: string,
  opts: { url: string; host?: string; headers?: Record<string, string>; uid?: number },
): Promise<HttpAnswer> {
  const ids =
    opts.uid === undefined
      ? []
      : ['--reuid', String(opts.uid), '--regid', String(opts.uid), '--clear-groups'];
  const args = ['--url', opts.url];
  if (opts.host) args.push('--host', opts.host);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('--header', `${k}: ${v}`);
  const r = await exec(
    'ip',
    [
      'netns',
      'exec',
      netns,
      'setpriv',
      ...ids,
      '--',
      NODE,
      join(FIXTURES, 'http-request.ts'),
      ...args,
    ],
    15_000,
  );
  if (r.code !== 0)
    throw new Error(`GET ${opts.url} from ${netns} failed: ${r.stdout.trim()} ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as HttpAnswer;
}

/** GET on the sidecar's admin API (127.0.0.1:15000 inside the pod). */
export async function adminGet(netns: string, path: string): Promise<string> {
  const r = await podRequest(netns, { url: `http://127.0.0.1:15000${path}` });
  if (r.status !== 200) throw new Error(`admin ${path} in ${netns}: ${r.status} ${r.body}`);
  return r.body;
}

export interface CaptureCounters {
  /** Connections redirected to 15001 (ISTIO_REDIRECT). */
  outbound: number;
  /** Connections redirected to 15006 (ISTIO_IN_REDIRECT). */
  inbound: number;
  /** Connections of uid 1337 let through uncaptured (ISTIO_OUTPUT --uid-owner 1337 RETURN). */
  proxyUid: number;
}

/**
 * The packet counters of the capture rules in the pod's nat table. NAT rules see only
 * the first packet of a connection, so each counter is a number of connections.
 */
export async function captureCounters(netns: string): Promise<CaptureCounters> {
  let text = await must('ip', ['netns', 'exec', netns, 'iptables-save', '-c', '-t', 'nat']);
  if (!text.includes('ISTIO_REDIRECT'))
    text = await must('ip', ['netns', 'exec', netns, 'iptables-legacy-save', '-c', '-t', 'nat']);
  const count = (rule: RegExp): number => {
    const line = text.split('\n').find((l) => rule.test(l));
    if (!line) throw new Error(`no rule ${rule} in the nat table of ${netns}:\n${text}`);
    return Number(/^\[(\d+):/.exec(line)![1]);
  };
  return {
    outbound: count(/-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001$/),
    inbound: count(/-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006$/),
    proxyUid: count(/-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN$/),
  };
}

/** Polls the sidecar's readiness port from the host, as the kubelet's probe does. */
async function waitReady(pod: PodSpec, proxy: PodProcess, timeoutMs: number): Promise<void> {
  const url = `http://${pod.endpoint.ip}:${HEALTH_PORT}/healthz/ready`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proxy.exited()) throw new Error(`sidecar of ${pod.podName} exited:\n${proxy.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `sidecar of ${pod.podName} not ready in ${timeoutMs} ms (${url}: ${last}):\n${proxy.output()}`,
  );
}

export async function startPod(spec: PodSpec): Promise<RunningPod> {
  const { netns, ip } = spec.endpoint;
  // istio-init: the capture rules, before any container starts.
  await must(
    'ip',
    ['netns', 'exec', netns, NODE, PETREL, 'iptables', ...INJECTED_IPTABLES_FLAGS],
    20_000,
  );
  const started: PodProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
  };
  try {
    const app = spawnInPod(
      netns,
      [NODE, join(FIXTURES, 'http-app.ts'), '--name', spec.podName, '--port', String(APP_PORT)],
      {
        label: `app ${spec.podName}`,
      },
    );
    started.push(app);
    await app.waitFor(/READY/);
    const labels = Object.entries(spec.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const proxy = spawnInPod(
      netns,
      [
        NODE,
        PETREL,
        'proxy',
        '--role',
        'sidecar',
        '--xds-address',
        spec.xdsAddress,
        '--pod-name',
        spec.podName,
        '--namespace',
        spec.namespace,
        '--ip',
        ip,
        '--labels',
        labels,
        '--service-account',
        spec.serviceAccount,
        // The pod's terminationDrainDuration: long enough for in-flight requests, short for tests.
        '--drain-duration',
        '1000',
      ],
      { uid: PROXY_UID, label: `sidecar ${spec.podName}` },
    );
    started.push(proxy);
    await waitReady(spec, proxy, 20_000);
    return { spec, app, proxy, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
