// `petrel local --capture`: every pod in its own network namespace with Istio's
// iptables rules applied by `petrel iptables` inside it, the app as root and the
// sidecar as uid 1337 (never captured), exactly as in a Kubernetes pod. Pod IPs
// must be routable between namespaces, so the loopback pod IPs of the config dir
// (127.0.1.N) become --capture-net addresses (10.250.0.N): pilot reads a mirror of
// the config dir with those IPs swapped, kept in step with every edit (the kubelet
// and the endpoint controller would report the real pod IPs the same way), and its
// messages name the user's files. Everything is removed on stop or on a failed start.
import { watch, type FSWatcher } from 'node:fs';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { LocalError } from './errors.ts';
import { createBridge, createPodNetns, names, removePodNetns, removeStale, run } from './netns.ts';
import type { LocalPlan, PodPlan } from './plan.ts';

const PETREL = fileURLToPath(new URL('../petrel.ts', import.meta.url));

export interface Captured {
  plan: LocalPlan;
  pilotHost: string;
  pilotConfigDir: string;
  wrap(
    pod: PodPlan,
    user: 'app' | 'proxy',
    command: string,
    args: string[],
  ): { command: string; args: string[] };
  mapLine(line: string): string;
  teardown(): Promise<void>;
}

function parseNet(net: string): { base: string; prefix: number } {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(net);
  if (!m) throw new LocalError('PETREL_LOCAL_CAPTURE', `--capture-net ${net}: want A.B.C.0/24`);
  return { base: m[1]!, prefix: 24 };
}

/** /etc/hosts lines for every Service with a ClusterIP: name, name.ns, name.ns.svc, FQDN. */
function hostsFile(configDir: string): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost'];
  for (const file of yamlFiles(configDir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const o = doc.errors.length ? undefined : (doc.toJS() as Record<string, any> | null);
      if (o?.kind !== 'Service' || !o.spec?.clusterIP || o.spec.clusterIP === 'None') continue;
      const n = o.metadata.name;
      const ns = o.metadata.namespace ?? 'default';
      lines.push(`${o.spec.clusterIP} ${n} ${n}.${ns} ${n}.${ns}.svc ${n}.${ns}.svc.cluster.local`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Copies `from` to `to` with pod IPs swapped (whole-word), line numbers unchanged. */
function mirror(from: string, to: string, ipMap: Map<string, string>): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true });
  const pattern = new RegExp(
    `(?<![\\d.])(${[...ipMap.keys()].map((ip) => ip.replace(/\./g, '\\.')).join('|')})(?![\\d.])`,
    'g',
  );
  for (const file of yamlFiles(to)) {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(pattern, (ip) => ipMap.get(ip) ?? ip);
    if (next !== text) writeFileSync(file, next);
  }
}

export async function setupCapture(
  plan: LocalPlan,
  configDir: string,
  captureNet: string,
  logDir: string,
): Promise<Captured> {
  if (process.getuid?.() !== 0)
    throw new LocalError(
      'PETREL_LOCAL_CAPTURE',
      '--capture needs root (network namespaces and iptables)',
    );
  const { base, prefix } = parseNet(captureNet);
  for (const [cmd, pkg] of [
    ['ip', 'iproute2'],
    ['iptables-restore', 'iptables'],
    ['setpriv', 'util-linux'],
  ] as const)
    await run('sh', ['-c', `command -v ${cmd}`]).catch(() => {
      throw new LocalError(
        'PETREL_LOCAL_CAPTURE',
        `${cmd} is not installed (apt-get install -y ${pkg})`,
      );
    });
  await removeStale();
  const n = names(process.pid);
  const gateway = `${base}.254`;
  const ipMap = new Map<string, string>();
  const pods = plan.pods.map((p) => {
    const ip = `${base}.${p.ip.split('.')[3]}`;
    ipMap.set(p.ip, ip);
    return { ...p, ip, loopback: ip };
  });
  const created: string[] = [];
  let bridge = false;
  let watcher: FSWatcher | undefined;
  const pilotConfigDir = join(logDir, 'mesh');
  const teardown = async () => {
    watcher?.close();
    for (const ns of created.splice(0)) await removePodNetns(ns);
    if (bridge) await run('ip', ['link', 'del', n.bridge]).catch(() => {});
    bridge = false;
  };
  try {
    await createBridge(n.bridge, gateway, prefix);
    bridge = true;
    const hosts = hostsFile(configDir);
    // Pods are set up side by side, as a node starts them; `created` records each for teardown.
    await Promise.all(
      pods.map(async (pod, i) => {
        const ns = n.ns(pod.name);
        created.push(ns);
        await createPodNetns({
          ns,
          ip: pod.ip,
          prefix,
          gateway,
          bridge: n.bridge,
          veth: n.veth(i),
          peer: n.peer(i),
          hosts,
        });
        // Istio's init container: capture everything in and out, except the proxy's own traffic (uid 1337).
        await run('ip', [
          'netns',
          'exec',
          ns,
          process.execPath,
          PETREL,
          'iptables',
          '-p',
          '15001',
          '-z',
          '15006',
          '-u',
          '1337',
          '-m',
          'REDIRECT',
          '-i',
          '*',
          '-b',
          '*',
          '-d',
          '15090,15021,15020',
        ]);
      }),
    );
    mkdirSync(logDir, { recursive: true });
    mirror(configDir, pilotConfigDir, ipMap);
    let pending: NodeJS.Timeout | undefined;
    watcher = watch(configDir, { recursive: true }, () => {
      clearTimeout(pending);
      pending = setTimeout(() => mirror(configDir, pilotConfigDir, ipMap), 30);
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  const nsOf = new Map(pods.map((p) => [p.name, n.ns(p.name)]));
  const userDir = resolve(configDir);
  return {
    plan: { ...plan, pods },
    pilotHost: gateway,
    pilotConfigDir,
    wrap: (pod, user, command, args) => ({
      command: 'ip',
      args: [
        'netns',
        'exec',
        nsOf.get(pod.name)!,
        ...(user === 'proxy'
          ? ['setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', '--']
          : []),
        command,
        ...args,
      ],
    }),
    mapLine: (line) => line.split(pilotConfigDir).join(relative(process.cwd(), userDir) || userDir),
    teardown,
  };
}
