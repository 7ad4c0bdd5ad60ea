// `petrel local --capture` (root): every pod in its own network namespace with
// Istio's iptables rules and the sidecar as uid 1337, apps calling services by name
// as in Kubernetes; the same requests route the same way; Ctrl-C removes every
// namespace, the bridge and the hosts files.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, startTestMesh, type TestMesh } from './support/local-mesh.ts';

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

describe('petrel local --capture', () => {
  let m: TestMesh;
  const net = `10.${250 + Math.floor(Math.random() * 5)}.${Math.floor(Math.random() * 250)}`;
  let pid: number;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('capture tests need root (ip netns, iptables)');
    m = await startTestMesh(['--capture', '--capture-net', `${net}.0/24`]);
    pid = m.proc.pid!;
  }, 60_000);

  afterAll(async () => {
    if (m && m.proc.exitCode === null) await m.stop();
  }, 30_000);

  it('runs each pod in its own namespace with capture rules and the proxy as uid 1337', () => {
    const namespaces = ip('netns', 'list')
      .split('\n')
      .filter((l) => l.startsWith(`petrel-local-${pid}-`));
    expect(namespaces.length).toBe(6);
    const ns = `petrel-local-${pid}-reviews-v2`;
    const rules = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat'], {
      encoding: 'utf8',
    });
    expect(rules).toContain('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    expect(rules).toMatch(/ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006/);
    const sidecar = processesMentioning(`--pod-name reviews-v2 `).find((p) =>
      p.includes('--role sidecar'),
    )!;
    const uid = readFileSync(`/proc/${sidecar.split(' ')[0]}/status`, 'utf8').match(
      /^Uid:\s+(\d+)/m,
    )?.[1];
    expect(uid).toBe('1337');
  });

  it('routes requests through captured sidecars as without capture', async () => {
    const r = await fetch(`${m.gateway}/api/v1/products/0/reviews`, {
      headers: { 'end-user': 'jason' },
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { version: string; ratingsPod: string };
    expect(body.version).toBe('v2');
    expect(body.ratingsPod).toBe('ratings-v1');
    const page = await (await fetch(`${m.gateway}/productpage`)).text();
    expect(page).toMatch(/Reviews served by <b>reviews-v[13]<\/b>/);
  });

  it('removes every namespace, the bridge and the hosts files on Ctrl-C', async () => {
    expect(await m.stop()).toBe(0);
    expect(ip('netns', 'list')).not.toContain(`petrel-local-${pid}-`);
    expect(ip('link', 'show')).not.toContain(`ptlbr${pid}`);
    expect(
      existsSync('/etc/netns')
        ? readdirSync('/etc/netns').filter((d) => d.startsWith(`petrel-local-${pid}-`))
        : [],
    ).toEqual([]);
    expect(processesMentioning(m.meshDir)).toEqual([]);
  }, 30_000);
});
