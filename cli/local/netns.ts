// Network namespaces for `petrel local --capture`, one per pod, as a container
// runtime makes them: a veth pair from the pod's eth0 to a bridge on the host, the
// pod IP on eth0 and a default route via the bridge (without one, connections to
// service IPs fail before OUTPUT and are never captured: PLATFORM.md), and
// /etc/netns/<ns>/hosts so service names resolve to their ClusterIPs
// (`ip netns exec` bind-mounts it over /etc/hosts, as kube-dns would answer).
// Every name carries the supervisor's pid, so a later run can remove what a killed
// one left behind without touching a live one's.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { LocalError } from './errors.ts';

const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: 15_000, env: { ...process.env, PATH } },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new LocalError(
              'PETREL_LOCAL_CAPTURE',
              `${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

export interface PodNetns {
  ns: string;
  ip: string;
  hostVeth: string;
}

export const NS_PREFIX = 'petrel-local-';

export function names(pid: number) {
  return {
    bridge: `ptlbr${pid}`.slice(0, 15),
    ns: (pod: string) => `${NS_PREFIX}${pid}-${pod}`,
    veth: (i: number) => `ptl${pid}v${i}`.slice(0, 15),
    peer: (i: number) => `ptl${pid}p${i}`.slice(0, 15),
  };
}

/** Removes namespaces, bridges and hosts files of supervisors that are no longer running. */
export async function removeStale(): Promise<void> {
  const list = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    await run('ip', ['netns', 'del', ns]).catch(() => {});
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    await run('ip', ['link', 'del', names(Number(m[1])).bridge]).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function createBridge(
  bridge: string,
  gatewayIp: string,
  prefix: number,
): Promise<void> {
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${gatewayIp}/${prefix}`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
}

export async function createPodNetns(o: {
  ns: string;
  ip: string;
  prefix: number;
  gateway: string;
  bridge: string;
  veth: string;
  peer: string;
  hosts: string;
}): Promise<PodNetns> {
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', o.ns, 'ip', ...args]);
  await run('ip', ['netns', 'add', o.ns]);
  await run('ip', ['link', 'add', o.veth, 'type', 'veth', 'peer', 'name', o.peer]);
  await run('ip', ['link', 'set', o.peer, 'netns', o.ns]);
  await run('ip', ['link', 'set', o.veth, 'master', o.bridge, 'up']);
  await inNs('link', 'set', 'lo', 'up');
  await inNs('link', 'set', o.peer, 'name', 'eth0');
  await inNs('addr', 'add', `${o.ip}/${o.prefix}`, 'dev', 'eth0');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('route', 'add', 'default', 'via', o.gateway);
  mkdirSync(`/etc/netns/${o.ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${o.ns}/hosts`, o.hosts);
  return { ns: o.ns, ip: o.ip, hostVeth: o.veth };
}

export async function removePodNetns(ns: string): Promise<void> {
  // Deleting the namespace destroys its end of the veth pair, and with it the host's end.
  await run('ip', ['netns', 'del', ns]).catch(() => {});
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
}
