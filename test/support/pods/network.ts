// "Pods" as real network namespaces on one host bridge. Each pod gets a veth
// pair (eth0 inside, its peer enslaved to the bridge) and a default route via the
// bridge's address on the host. Pod-to-pod traffic is switched by the bridge at
// layer 2, so the host never routes: no forwarding sysctl is touched and nothing
// can leave for another interface. The host reaches every pod directly (it owns
// the bridge address), which is how pilot and "outside the mesh" clients talk to them.
//
// Names carry the creating process id, so `sweepStalePodNetworks` can remove what
// a killed run left behind without touching a run still in progress.
import { must, exec } from './run.ts';

export interface PodEndpoint {
  name: string;
  /** The network namespace (`ip netns exec <netns> …`). */
  netns: string;
  ip: string;
}

export interface PodNetwork {
  /** The host's address on the bridge: the pods' gateway, where host services listen for them. */
  hostIp: string;
  pods: PodEndpoint[];
  pod(name: string): PodEndpoint;
  destroy(): Promise<void>;
}

const NETNS_PREFIX = 'petrel-pm-';
let counter = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what still runs in a namespace, then deletes it (its veth ends go with it). */
async function deleteNetns(netns: string): Promise<void> {
  const pids = await exec('ip', ['netns', 'pids', netns]);
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await exec('ip', ['netns', 'del', netns]);
}

/** Removes namespaces and bridges of earlier runs whose process no longer exists. */
export async function sweepStalePodNetworks(): Promise<void> {
  const netns = await exec('ip', ['netns', 'list']);
  for (const line of netns.stdout.split('\n')) {
    const m = new RegExp(`^(${NETNS_PREFIX}(\\d+)-\\S+)`).exec(line);
    if (m && !alive(Number(m[2]))) await deleteNetns(m[1]!);
  }
  const links = await exec('ip', ['-o', 'link', 'show', 'type', 'bridge']);
  for (const line of links.stdout.split('\n')) {
    const m = /^\d+: (pm([0-9a-z]+)-\d+b)[:@]/.exec(line);
    if (m && !alive(parseInt(m[2]!, 36))) await exec('ip', ['link', 'del', m[1]!]);
  }
}

/** A /24 in 10.251.0.0/16 that no host route uses yet, so concurrent runs do not collide. */
async function freeSubnet(): Promise<string> {
  const routes = await must('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const third = 1 + Math.floor(Math.random() * 254);
    if (!routes.includes(`10.251.${third}.`)) return `10.251.${third}`;
  }
  throw new Error('no free /24 in 10.251.0.0/16 for the pod network');
}

export async function createPodNetwork(podNames: string[]): Promise<PodNetwork> {
  const n = counter++;
  const tag = `${process.pid.toString(36)}-${n}`;
  const bridge = `pm${tag}b`;
  const subnet = await freeSubnet();
  const pods = podNames.map((name, i) => ({
    name,
    netns: `${NETNS_PREFIX}${process.pid}-${n}-${name}`,
    ip: `${subnet}.${i + 2}`,
  }));
  const network: PodNetwork = {
    hostIp: `${subnet}.1`,
    pods,
    pod(name) {
      const p = pods.find((x) => x.name === name);
      if (!p) throw new Error(`no pod ${name} in this network`);
      return p;
    },
    async destroy() {
      for (const p of pods) await deleteNetns(p.netns);
      await exec('ip', ['link', 'del', bridge]);
    },
  };
  try {
    await must('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await must('ip', ['addr', 'add', `${network.hostIp}/24`, 'dev', bridge]);
    await must('ip', ['link', 'set', bridge, 'up']);
    for (const [i, p] of pods.entries()) {
      const host = `pm${tag}h${i}`;
      const inPod = `pm${tag}p${i}`;
      await must('ip', ['netns', 'add', p.netns]);
      await must('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', inPod]);
      await must('ip', ['link', 'set', inPod, 'netns', p.netns]);
      await must('ip', ['link', 'set', host, 'master', bridge]);
      await must('ip', ['link', 'set', host, 'up']);
      await must('ip', ['-n', p.netns, 'link', 'set', inPod, 'name', 'eth0']);
      await must('ip', ['-n', p.netns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['-n', p.netns, 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
      await must('ip', ['-n', p.netns, 'link', 'set', 'eth0', 'up']);
      // A default route, or connections to unrouted service IPs fail before OUTPUT and are never captured.
      await must('ip', ['-n', p.netns, 'route', 'add', 'default', 'via', network.hostIp]);
    }
  } catch (err) {
    await network.destroy();
    throw err;
  }
  return network;
}
