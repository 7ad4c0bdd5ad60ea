import { describe, expect, it } from 'vitest';
import type { EndpointSpec } from '../../../../sidecar/proxy/upstream/endpoints.ts';
import { Host } from '../../../../sidecar/proxy/upstream/host.ts';
import { buildPicker } from '../../../../sidecar/proxy/upstream/lb/index.ts';
import { hash32 } from '../../../../sidecar/proxy/upstream/lb/hash.ts';
import type { LbPolicy } from '../../../../sidecar/proxy/upstream/lb/types.ts';

function host(port: number, over: Partial<EndpointSpec> = {}): Host {
  return new Host(
    {
      address: '10.0.0.1',
      port,
      hostname: undefined,
      weight: 1,
      health: 'HEALTHY',
      locality: 'r/z/s',
      localityWeight: 0,
      priority: 0,
      metadata: undefined,
      ...over,
    },
    { connectTimeoutMs: 1000, idleTimeoutMs: 1000 },
  );
}

const options = { choiceCount: 2, ringMin: 1024, ringMax: 8 * 1024 * 1024, maglevTableSize: 65537 };
const picker = (
  hosts: Host[],
  policy: LbPolicy,
  extra: { localityWeighted?: boolean; panicThreshold?: number } = {},
) =>
  buildPicker(hosts, {
    policy,
    options,
    localityWeighted: extra.localityWeighted ?? false,
    panicThreshold: extra.panicThreshold ?? 50,
  });

function counts(pick: () => Host | undefined, n: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const h = pick()!;
    m.set(h.port, (m.get(h.port) ?? 0) + 1);
  }
  return m;
}

describe('load balancers', () => {
  it('round robin follows endpoint weights exactly over a cycle', () => {
    const lb = picker([host(1, { weight: 1 }), host(2, { weight: 3 })], 'ROUND_ROBIN');
    const c = counts(() => lb.choose({ hash: undefined, rejected: 0 }), 400);
    expect(c.get(1)).toBe(100);
    expect(c.get(2)).toBe(300);
  });

  it('least request prefers the host with fewer active requests', () => {
    const busy = host(1);
    const idle = host(2);
    busy.activeRequests = 10;
    const lb = picker([busy, idle], 'LEAST_REQUEST');
    const c = counts(() => lb.choose({ hash: undefined, rejected: 0 }), 400);
    // P2C picks the busy host only when both choices land on it: about a quarter of the time.
    expect(c.get(2)!).toBeGreaterThan(250);
  });

  for (const policy of ['RING_HASH', 'MAGLEV'] as const) {
    it(`${policy} keeps a key on one host and moves few keys when a host leaves`, () => {
      const hosts = [host(1), host(2), host(3), host(4)];
      const lb = picker(hosts, policy);
      const keys = Array.from({ length: 2000 }, (_, i) => hash32(`user-${i}`));
      const before = keys.map((k) => lb.choose({ hash: k, rejected: 0 })!.port);
      expect(keys.map((k) => lb.choose({ hash: k, rejected: 0 })!.port)).toEqual(before);
      const spread = new Set(before);
      expect(spread.size).toBe(4);
      for (const p of [1, 2, 3, 4])
        expect(before.filter((x) => x === p).length).toBeGreaterThan(300);
      const fewer = picker(
        hosts.filter((h) => h.port !== 4),
        policy,
      );
      const after = keys.map((k) => fewer.choose({ hash: k, rejected: 0 })!.port);
      const moved = before.filter((p, i) => p !== 4 && after[i] !== p).length;
      // Consistent hashing: keys that were not on the removed host mostly stay put.
      expect(moved / keys.length).toBeLessThan(0.1);
    });

    it(`${policy} walks to another host for a retry that rejected the first`, () => {
      const lb = picker([host(1), host(2), host(3)], policy);
      const k = hash32('sticky');
      const first = lb.choose({ hash: k, rejected: 0 })!;
      const second = lb.choose({ hash: k, rejected: 1 })!;
      expect(second).not.toBe(first);
    });
  }

  it('uses the lowest priority with healthy hosts and fails over when it has none', () => {
    const p0 = host(1, { priority: 0 });
    const p1 = host(2, { priority: 1 });
    expect(picker([p0, p1], 'ROUND_ROBIN').choose({ hash: undefined, rejected: 0 })).toBe(p0);
    p0.ejected = true;
    expect(picker([p0, p1], 'ROUND_ROBIN').choose({ hash: undefined, rejected: 0 })).toBe(p1);
  });

  it('routes to every host of a level in panic (healthy share under the threshold)', () => {
    const hosts = [host(1), host(2), host(3), host(4)];
    hosts[0]!.ejected = hosts[1]!.ejected = hosts[2]!.ejected = true;
    const c = counts(() => picker(hosts, 'RANDOM').choose({ hash: undefined, rejected: 0 }), 400);
    expect(c.size).toBe(4);
    const noPanic = picker(hosts, 'RANDOM', { panicThreshold: 0 });
    expect(counts(() => noPanic.choose({ hash: undefined, rejected: 0 }), 100).size).toBe(1);
  });

  it('never sends to DRAINING hosts, even in panic', () => {
    const lb = picker(
      [host(1, { health: 'DRAINING' }), host(2, { health: 'UNHEALTHY' })],
      'ROUND_ROBIN',
    );
    expect(lb.choose({ hash: undefined, rejected: 0 })?.port).toBe(2); // panic: all of 1 eligible host is unhealthy
  });

  it('weights localities by locality weight when locality-weighted', () => {
    const hosts = [
      host(1, { locality: 'a//', localityWeight: 1 }),
      host(2, { locality: 'b//', localityWeight: 3 }),
    ];
    const lb = picker(hosts, 'ROUND_ROBIN', { localityWeighted: true });
    const c = counts(() => lb.choose({ hash: undefined, rejected: 0 }), 4000);
    expect(c.get(2)! / 4000).toBeGreaterThan(0.7);
    expect(c.get(2)! / 4000).toBeLessThan(0.8);
  });
});
