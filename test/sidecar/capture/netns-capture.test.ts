// The capture rules applied for real by `petrel iptables` in a fresh network
// namespace, then traffic both ways: what is redirected where, what
// originalDestination() reports, and what must stay uncaptured.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  connectFrom,
  createPodNet,
  exec,
  must,
  nsNode,
  requireTools,
  startListeners,
  type PodNet,
} from './netns.ts';

const INJECTED_FLAGS = [
  '-p',
  '15001',
  '-z',
  '15006',
  '-u',
  '1337',
  '-g',
  '1337',
  '-m',
  'REDIRECT',
  '-i',
  '*',
  '-x',
  '',
  '-b',
  '*',
  '-d',
  '15090,15021,15020',
];
const FLAGS = [...INJECTED_FLAGS, '-o', '9999', '--ipv6'];

function petrelIptables(ns: string, args: string[]) {
  return nsNode(ns, join(FIXTURES, 'petrel-iptables.ts'), args);
}

/** `-A` rules and ISTIO_ chain declarations of a family's nat and raw tables. */
async function captureLines(ns: string, save: string): Promise<string[]> {
  const text = await must('ip', ['netns', 'exec', ns, save]);
  return text.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':ISTIO_'));
}

describe('capture in a network namespace', () => {
  let net: PodNet;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await requireTools();
    net = await createPodNet();
    const applied = await petrelIptables(net.pod, FLAGS);
    expect(applied.code, applied.stderr).toBe(0);
    // The pod: outbound and inbound capture ports, an app port and an excluded inbound port,
    // all dual-stack listeners so IPv4 clients exercise the SOL_IP fallback.
    children.push(
      await startListeners(net.pod, [
        '[::]:15001:outbound',
        '[::]:15006:inbound',
        '[::]:8080:app',
        '[::]:15021:health',
      ]),
    );
    children.push(await startListeners(net.peer, ['[::]:7070:peer', '[::]:9999:peer-excluded']));
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill();
    await net?.destroy();
  }, 30_000);

  it('redirects an app connection to an unrouted service IP to 15001 and recovers that IP:port', async () => {
    const r = await connectFrom(net.pod, { host: '10.96.0.10', port: 9080 });
    expect(r.label).toBe('outbound');
    expect(r.originalDst).toEqual({ address: '10.96.0.10', port: 9080, family: 4 });
  });

  it('redirects an app connection to another host to 15001', async () => {
    const r = await connectFrom(net.pod, { host: net.peerIp, port: 7070 });
    expect(r.label).toBe('outbound');
    expect(r.originalDst).toEqual({ address: net.peerIp, port: 7070, family: 4 });
  });

  it('redirects IPv6 outbound too and reports the IPv6 original destination', async () => {
    const r = await connectFrom(net.pod, { host: net.peerIp6, port: 7070 });
    expect(r.label).toBe('outbound');
    expect(r.originalDst).toEqual({ address: net.peerIp6, port: 7070, family: 6 });
  });

  it('redirects an inbound connection to the pod IP on an app port to 15006', async () => {
    const r = await connectFrom(net.peer, { host: net.podIp, port: 8080 });
    expect(r.label).toBe('inbound');
    expect(r.originalDst).toEqual({ address: net.podIp, port: 8080, family: 4 });
  });

  it('leaves an excluded inbound port (-d) uncaptured, so originalDestination is undefined', async () => {
    const r = await connectFrom(net.peer, { host: net.podIp, port: 15021 });
    expect(r.label).toBe('health');
    expect(r.originalDst).toBeNull();
  });

  it('does not capture traffic of the proxy uid 1337', async () => {
    const r = await connectFrom(net.pod, { host: net.peerIp, port: 7070, uid: 1337 });
    expect(r.label).toBe('peer');
    expect(r.originalDst).toBeNull();
  });

  it('does not recapture the proxy forwarding inbound traffic from 127.0.0.6 to the app', async () => {
    const r = await connectFrom(net.pod, {
      host: net.podIp,
      port: 8080,
      local: '127.0.0.6',
      uid: 1337,
    });
    expect(r.label).toBe('app');
    expect(r.remoteAddress).toBe('::ffff:127.0.0.6');
  });

  it('sends the proxy calling its own pod IP (not from 127.0.0.6) to inbound capture, as Istio does', async () => {
    const r = await connectFrom(net.pod, { host: net.podIp, port: 8080, uid: 1337 });
    expect(r.label).toBe('inbound');
  });

  it('leaves an excluded outbound port (-o) uncaptured', async () => {
    const r = await connectFrom(net.pod, { host: net.peerIp, port: 9999 });
    expect(r.label).toBe('peer-excluded');
  });

  it('leaves app traffic to localhost uncaptured', async () => {
    const r = await connectFrom(net.pod, { host: '127.0.0.1', port: 8080 });
    expect(r.label).toBe('app');
    expect(r.originalDst).toBeNull();
  });

  it('converges when applied again (an init container restart) instead of failing on existing chains', async () => {
    const before = await captureLines(net.pod, 'iptables-save');
    const again = await petrelIptables(net.pod, FLAGS);
    expect(again.code, again.stderr).toBe(0);
    expect(await captureLines(net.pod, 'iptables-save')).toEqual(before);
    const r = await connectFrom(net.pod, { host: '10.96.0.10', port: 9080 });
    expect(r.label).toBe('outbound');
  });

  it('--cleanup leaves the nat and raw tables of both families without rules or Istio chains', async () => {
    expect((await captureLines(net.pod, 'ip6tables-save')).length).toBeGreaterThan(0);
    const cleaned = await petrelIptables(net.pod, ['--cleanup']);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await captureLines(net.pod, 'iptables-save')).toEqual([]);
    expect(await captureLines(net.pod, 'ip6tables-save')).toEqual([]);
    // With the rules gone an app connection reaches the other host itself.
    const r = await connectFrom(net.pod, { host: net.peerIp, port: 7070 });
    expect(r.label).toBe('peer');
  });
});

describe('iptables variant', () => {
  let net: PodNet;

  beforeAll(async () => {
    await requireTools();
    net = await createPodNet();
  }, 30_000);

  afterAll(async () => {
    await net?.destroy();
  }, 30_000);

  it('uses iptables-legacy when legacy already holds rules, and never writes to nft', async () => {
    await must('ip', [
      'netns',
      'exec',
      net.pod,
      'iptables-legacy',
      '-t',
      'filter',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '1',
      '-j',
      'ACCEPT',
    ]);
    const applied = await petrelIptables(net.pod, INJECTED_FLAGS);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('iptables-legacy');
    expect(await captureLines(net.pod, 'iptables-legacy-save')).toContain(':ISTIO_OUTPUT - [0:0]');
    const nft = await exec('ip', ['netns', 'exec', net.pod, 'iptables-nft-save']);
    expect(nft.stdout).not.toContain('ISTIO_');
    const r = await connectFrom(net.pod, { host: '10.96.0.10', port: 9080 }).catch(
      (e: Error) => e.message,
    );
    // Nothing listens on 15001 in this namespace: a captured connection is refused locally.
    expect(String(r)).toContain('ECONNREFUSED');
  });
});
