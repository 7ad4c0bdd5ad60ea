// A real Kubernetes control plane on loopback for the interop suite: etcd, a
// kube-apiserver and a kube-controller-manager (built by peers/kube/build-kube.sh),
// each on free 127.0.0.1 ports with a data directory of its own, and a KubeConfig
// for @kubernetes/client-node with an admin token. No scheduler, no kubelet: Pods
// stay Pending, which is all admission and the informers need.
// See /work/shared/PLATFORM.md "A real Kubernetes API server on loopback".
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { generateServingCertificate } from '../../../injector/serving-cert.ts';
import { kubeBinaries, type KubeBinaries } from './peer.ts';
import { freePort, startProcess, waitUntilReady, type PeerProcess } from './process.ts';

export interface KubeClusterOptions {
  /** Start kube-controller-manager (ServiceAccounts, EndpointSlices, namespace cleanup); default true. */
  controllerManager?: boolean;
  /** Bound on each component becoming ready; generous, since the cores are shared. */
  readyTimeoutMs?: number;
}

export interface KubeCluster {
  /** https://127.0.0.1:PORT of the API server. */
  readonly server: string;
  readonly kubeConfig: KubeConfig;
  /** The same cluster and admin user as a kubeconfig file. */
  readonly kubeconfigPath: string;
  /** The CA that signed the API server's serving certificate. */
  readonly caPem: string;
  /** Stops every process (controller-manager, API server, etcd) and removes their files. */
  stop(): Promise<void>;
}

/** The service CIDR; Services name their clusterIP from it. */
export const SERVICE_CIDR = '10.96.0.0/16';
const ADDRESS_IN_USE = /address already in use/i;

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{ name: interop, cluster: { server: "${server}", certificate-authority: "${caFile}" } }]`,
    `users: [{ name: admin, user: { token: "${token}" } }]`,
    'contexts: [{ name: interop, context: { cluster: interop, user: admin } }]',
    'current-context: interop',
    '',
  ].join('\n');
}

/** 200 from an HTTPS GET with the admin token, verified against the cluster CA. */
function httpsOk(url: string, caPem: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: caPem, headers: { authorization: `Bearer ${token}` }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function etcdHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/**
 * Starts a process on freshly picked ports; when another process took a port in
 * between (it exits with "address already in use"), picks new ones and retries.
 */
async function startOnFreePorts(
  count: number,
  start: (ports: number[]) => PeerProcess,
  ready: (peer: PeerProcess, ports: number[]) => Promise<void>,
): Promise<{ peer: PeerProcess; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const peer = start(ports);
    try {
      await ready(peer, ports);
      return { peer, ports };
    } catch (err) {
      await peer.stop();
      if (attempt < 3 && ADDRESS_IN_USE.test(peer.tail())) continue;
      throw err;
    }
  }
}

async function startEtcd(bins: KubeBinaries, dir: string, timeoutMs: number) {
  return startOnFreePorts(
    2,
    ([client, peerPort]) => {
      const clientUrl = `http://127.0.0.1:${client}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      return startProcess('etcd', bins.etcd, [
        '--name=interop',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=interop=${peerUrl}`,
        // A throwaway store: durability costs fsyncs the shared disk does not need to pay.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
    },
    (peer, [client]) =>
      waitUntilReady(peer, 'healthy', () => etcdHealthy(`http://127.0.0.1:${client}`), timeoutMs),
  );
}

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const bins = kubeBinaries();
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'petrel-kube-'));
  const peers: PeerProcess[] = [];
  const stop = async () => {
    // Reverse order: controllers first, etcd last, so nothing logs a lost backend.
    for (const p of peers.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Files the API server reads: a serving certificate for 127.0.0.1, the
    // service-account signing key pair and the admin's static token.
    const serving = await generateServingCertificate({
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default.svc'],
      ips: ['127.0.0.1'],
    });
    const files = {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'apiserver.pem'),
      key: join(dir, 'apiserver-key.pem'),
      saKey: join(dir, 'sa-key.pem'),
      saPub: join(dir, 'sa.pub'),
      tokens: join(dir, 'tokens.csv'),
      kubeconfig: join(dir, 'kubeconfig'),
    };
    writeFileSync(files.ca, serving.caPem);
    writeFileSync(files.cert, serving.certPem);
    writeFileSync(files.key, serving.keyPem, { mode: 0o600 });
    const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(files.saKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(files.saPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    writeFileSync(files.tokens, `${token},interop-admin,interop-admin,"system:masters"\n`, {
      mode: 0o600,
    });

    const etcd = await startEtcd(bins, dir, timeoutMs);
    peers.push(etcd.peer);
    const etcdUrl = `http://127.0.0.1:${etcd.ports[0]}`;

    const api = await startOnFreePorts(
      1,
      ([port]) =>
        startProcess(
          'kube-apiserver',
          bins.apiserver,
          [
            `--etcd-servers=${etcdUrl}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${port}`,
            `--tls-cert-file=${files.cert}`,
            `--tls-private-key-file=${files.key}`,
            `--client-ca-file=${files.ca}`,
            `--token-auth-file=${files.tokens}`,
            '--authorization-mode=Node,RBAC',
            `--service-cluster-ip-range=${SERVICE_CIDR}`,
            '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
            `--service-account-key-file=${files.saPub}`,
            `--service-account-signing-key-file=${files.saKey}`,
            // It would keep trying to publish 127.0.0.1 as the `kubernetes` Service's
            // endpoint, which endpoint validation refuses (loopback).
            '--endpoint-reconciler-type=none',
            '--profiling=false',
            '--v=0',
          ],
          { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
        ),
      (peer, [port]) =>
        waitUntilReady(
          peer,
          'ready',
          () => httpsOk(`https://127.0.0.1:${port}/readyz`, serving.caPem, token),
          timeoutMs,
        ),
    );
    peers.push(api.peer);
    const server = `https://127.0.0.1:${api.ports[0]}`;
    writeFileSync(files.kubeconfig, kubeconfigYaml(server, files.ca, token), { mode: 0o600 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(files.kubeconfig);

    if (options.controllerManager ?? true) {
      const kcm = startProcess('kube-controller-manager', bins.controllerManager, [
        `--kubeconfig=${files.kubeconfig}`,
        `--authentication-kubeconfig=${files.kubeconfig}`,
        `--authorization-kubeconfig=${files.kubeconfig}`,
        // Only what the tests need: ServiceAccounts (and their token signing),
        // EndpointSlices from Services and Pods, namespace deletion, owner GC.
        '--controllers=serviceaccount-controller,serviceaccount-token-controller,endpointslice-controller,namespace-controller,garbage-collector-controller',
        `--service-account-private-key-file=${files.saKey}`,
        `--root-ca-file=${files.ca}`,
        '--use-service-account-credentials=false',
        '--leader-elect=false',
        // No serving: nothing scrapes it, and it saves a port.
        '--secure-port=0',
        '--v=0',
      ]);
      peers.push(kcm);
      // Ready for the tests once it has made the `default` ServiceAccount (Pods need one).
      const core = kubeConfig.makeApiClient(CoreV1Api);
      await waitUntilReady(
        kcm,
        'creating ServiceAccount default/default',
        async () => {
          await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
          return true;
        },
        timeoutMs,
      );
    }
    return { server, kubeConfig, kubeconfigPath: files.kubeconfig, caPem: serving.caPem, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
