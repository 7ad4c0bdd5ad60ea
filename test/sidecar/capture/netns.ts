// Test helpers for real network namespaces: a "pod" namespace wired to a
// "peer" namespace by a veth pair, so inbound traffic really arrives through
// PREROUTING and uncaptured outbound traffic has somewhere to go. Nothing
// leaves the two namespaces: the peer does not forward.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Node 24 from the `node` devDependency, as npm scripts use. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: string[], timeoutMs = 10_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
      },
    );
  });
}

export async function must(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await exec(cmd, args, timeoutMs);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout;
}

/** Fails with the install hint when a needed tool is missing, rather than skipping silently. */
export async function requireTools(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('capture tests need root (ip netns, iptables)');
  for (const [cmd, pkg] of [
    ['ip', 'iproute2'],
    ['iptables', 'iptables'],
  ] as const) {
    const r = await exec(cmd, ['-V']);
    if (r.code !== 0) throw new Error(`${cmd} is not installed: apt-get install -y ${pkg}`);
  }
}

/** Runs a fixture script (or any node script) inside namespace `ns`. */
export function nsNode(
  ns: string,
  script: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<Exec> {
  return exec('ip', ['netns', 'exec', ns, NODE, script, ...args], timeoutMs);
}

export interface PodNet {
  pod: string;
  peer: string;
  podIp: string;
  peerIp: string;
  podIp6: string;
  peerIp6: string;
  destroy(): Promise<void>;
}

/** Creates pod + peer namespaces joined by a veth pair; `destroy` removes both (and the pair with them). */
export async function createPodNet(): Promise<PodNet> {
  const id = randomBytes(3).toString('hex');
  const pod = `petrel-pod-${id}`;
  const peer = `petrel-peer-${id}`;
  const net: PodNet = {
    pod,
    peer,
    podIp: '10.250.0.2',
    peerIp: '10.250.0.1',
    podIp6: 'fd00:250::2',
    peerIp6: 'fd00:250::1',
    destroy: async () => {
      await exec('ip', ['netns', 'del', pod]);
      await exec('ip', ['netns', 'del', peer]);
    },
  };
  try {
    await must('ip', ['netns', 'add', pod]);
    await must('ip', ['netns', 'add', peer]);
    const a = `pv${id}a`;
    const b = `pv${id}b`;
    await must('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await must('ip', ['link', 'set', a, 'netns', pod]);
    await must('ip', ['link', 'set', b, 'netns', peer]);
    for (const [ns, dev, ip4, ip6] of [
      [pod, a, net.podIp, net.podIp6],
      [peer, b, net.peerIp, net.peerIp6],
    ] as const) {
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', `${ip4}/24`, 'dev', dev]);
      // nodad: usable at once, without waiting out duplicate address detection.
      await must('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad']);
      await must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    // A default route, or connections to unrouted IPs fail before OUTPUT and are never captured.
    await must('ip', ['-n', pod, 'route', 'add', 'default', 'via', net.peerIp]);
    await must('ip', ['-n', pod, '-6', 'route', 'add', 'default', 'via', net.peerIp6]);
  } catch (err) {
    await net.destroy();
    throw err;
  }
  return net;
}

/** Starts the listener fixture in `ns` and resolves once it printed READY. */
export function startListeners(ns: string, specs: string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, NODE, join(FIXTURES, 'listen.ts'), ...specs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`listeners in ${ns} not ready in 10 s: ${err}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY\n')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`listeners in ${ns} exited (${code}): ${err}`));
    });
  });
}

export interface Reply {
  label: string;
  localPort: number;
  remoteAddress: string;
  originalDst: { address: string; port: number; family: 4 | 6 } | null;
}

/** Connects from namespace `ns` with the connect fixture and returns the listener's answer. */
export async function connectFrom(
  ns: string,
  opts: { host: string; port: number; local?: string; uid?: number },
): Promise<Reply> {
  const args = ['--host', opts.host, '--port', String(opts.port)];
  if (opts.local) args.push('--local', opts.local);
  if (opts.uid !== undefined) args.push('--uid', String(opts.uid), '--gid', String(opts.uid));
  const r = await nsNode(ns, join(FIXTURES, 'connect.ts'), args);
  if (r.code !== 0)
    throw new Error(
      `connect ${opts.host}:${opts.port} from ${ns} failed: ${r.stdout.trim()} ${r.stderr.trim()}`,
    );
  return JSON.parse(r.stdout) as Reply;
}
