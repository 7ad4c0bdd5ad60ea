// envoy.filters.network.rbac: AuthorizationPolicies as pilot builds them for TCP
// chains, decided on a connection's facts (peer URI SAN, SNI, addresses, ports), and
// on live connections through a Petrel listener: a refused connection is closed
// before anything reaches the upstream, and is recorded with Envoy's termination
// details and counted under `tcp.rbac.*`.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../../../pilot/model/authorization.ts';
import { rbacFilters } from '../../../../pilot/translate/security/rbac.ts';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import { ConnectionFacts } from '../../../../sidecar/proxy/filters/connection-facts.ts';
import { CounterMap, type FilterStats } from '../../../../sidecar/proxy/filters/filter-stats.ts';
import {
  NetworkRbacFilter,
  compileNetworkRbac,
} from '../../../../sidecar/proxy/filters/network-rbac.ts';
import type { ConnectionInfo } from '../../../../sidecar/proxy/http/request-context.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { TypeUrl, apply, startProxy, staticCluster, TCP_PROXY } from '../support/envoy.ts';
import { policies, policy } from './security-support.ts';

type Obj = Record<string, unknown>;

/** The network filters pilot builds for these AuthorizationPolicies (YAML). */
function tcpFilters(yaml: string): Obj[] {
  const authz = policies(yaml) as AuthorizationPolicy[];
  const by = (a: string) => authz.filter((p) => (p.spec.action ?? 'ALLOW') === a);
  return rbacFilters(
    { allow: by('ALLOW'), deny: by('DENY'), audit: by('AUDIT'), custom: by('CUSTOM') },
    true,
  );
}

interface Conn {
  peer?: string;
  source?: string;
  port?: number;
  dest?: string;
  sni?: string;
}

function connection(c: Conn): ConnectionInfo {
  const dest = { address: c.dest ?? '10.1.0.5', port: c.port ?? 5432 };
  return {
    listenerName: 'l',
    remoteAddress: c.source ?? '10.1.0.9',
    remotePort: 40000,
    localAddress: dest.address,
    localPort: dest.port,
    destination: dest,
    ...(c.peer !== undefined
      ? { tls: { peerPrincipal: c.peer, localPrincipal: '', serverName: c.sni ?? '', alpn: '' } }
      : {}),
  };
}

/** Runs the filters in order as the listener does: the first refusal wins. */
function verdict(filters: Obj[], c: Conn, stats: FilterStats = new CounterMap()): string {
  const facts = new ConnectionFacts(connection(c), c.sni ?? '');
  for (const f of filters) {
    const issues = new Issues();
    const cfg = compileNetworkRbac(f.typed_config as Obj, issues);
    expect(issues.lines).toEqual([]);
    const v = new NetworkRbacFilter(String(f.name), cfg, stats).onConnection(facts);
    if (!v.admitted) return v.details;
  }
  return 'admitted';
}

const APP = 'spiffe://cluster.local/ns/default/sa/app';
const OTHER = 'spiffe://cluster.local/ns/default/sa/other';
const NONE = 'rbac_access_denied_matched_policy[none]';

describe('network RBAC decisions', () => {
  it('admits the principal an ALLOW policy names and refuses others and plaintext peers', () => {
    const f = tcpFilters(
      policy(
        'p',
        `  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/app] } }] }]`,
      ),
    );
    expect(verdict(f, { peer: APP })).toBe('admitted');
    expect(verdict(f, { peer: OTHER })).toBe(NONE);
    expect(verdict(f, {})).toBe(NONE);
  });

  it('refuses the ports a DENY policy names, naming the policy', () => {
    const f = tcpFilters(
      policy(
        'no-admin-port',
        `  action: DENY\n  rules: [{ to: [{ operation: { ports: ['9000'] } }] }]`,
      ),
    );
    expect(verdict(f, { port: 9000 })).toBe(
      'rbac_access_denied_matched_policy[ns[default]-policy[no-admin-port]-rule[0]]',
    );
    expect(verdict(f, { port: 5432 })).toBe('admitted');
  });

  it('refuses every connection when an ALLOW policy has only HTTP rules', () => {
    const f = tcpFilters(policy('web', `  rules: [{ to: [{ operation: { methods: [GET] } }] }]`));
    expect(verdict(f, { peer: APP })).toBe(NONE);
  });

  it('widens DENY rules with HTTP fields to their TCP part', () => {
    const f = tcpFilters(
      policy(
        'd',
        `  action: DENY\n  rules: [{ from: [{ source: { namespaces: [legacy] } }], to: [{ operation: { paths: [/admin] } }] }]`,
      ),
    );
    expect(verdict(f, { peer: 'spiffe://cluster.local/ns/legacy/sa/x' })).toMatch(/policy\[d\]/);
    expect(verdict(f, { peer: APP })).toBe('admitted');
  });

  it('matches source and destination addresses, destination port and SNI', () => {
    const f = tcpFilters(
      policy(
        'p',
        `  rules:
  - from: [{ source: { ipBlocks: [10.1.0.0/24], notIpBlocks: [10.1.0.66] } }]
    to: [{ operation: { ports: ['5432'] } }]
    when:
    - { key: destination.ip, values: [10.1.0.5] }
    - { key: connection.sni, values: ['*.db.example.com'] }`,
      ),
    );
    const ok: Conn = { source: '10.1.0.9', port: 5432, dest: '10.1.0.5', sni: 'a.db.example.com' };
    expect(verdict(f, ok)).toBe('admitted');
    expect(verdict(f, { ...ok, source: '::ffff:10.1.0.9' })).toBe('admitted');
    expect(verdict(f, { ...ok, source: '10.1.0.66' })).toBe(NONE);
    expect(verdict(f, { ...ok, source: '10.2.0.9' })).toBe(NONE);
    expect(verdict(f, { ...ok, port: 5433 })).toBe(NONE);
    expect(verdict(f, { ...ok, dest: '10.1.0.6' })).toBe(NONE);
    expect(verdict(f, { ...ok, sni: 'db.example.org' })).toBe(NONE);
  });

  it('counts tcp.rbac.allowed/denied, shadow results under the dry-run prefix, and never enforces shadow rules', () => {
    const owner = new CounterMap();
    const f = tcpFilters(
      [
        policy(
          'deny-other',
          `  action: DENY\n  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/other] } }] }]`,
        ),
        policy(
          'try',
          `  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/app] } }] }]`,
          'istio.io/dry-run: "true"',
        ),
      ].join('\n---\n'),
    );
    expect(verdict(f, { peer: APP }, owner)).toBe('admitted');
    expect(verdict(f, { peer: OTHER }, owner)).toMatch(/deny-other/);
    expect(verdict(f, { peer: 'spiffe://cluster.local/ns/x/sa/y' }, owner)).toBe('admitted');
    expect(Object.fromEntries(owner.entries())).toEqual({
      'tcp.rbac.allowed': 2,
      'tcp.rbac.denied': 1,
      'tcp.rbac.istio_dry_run_allow_shadow_allowed': 1,
      'tcp.rbac.istio_dry_run_allow_shadow_denied': 1,
    });
  });

  it('reports a missing stat_prefix and an unknown enforcement type', () => {
    const issues = new Issues('filters[0].typed_config');
    compileNetworkRbac({ rules: { action: 'ALLOW' }, enforcement_type: 'SOMETIMES' }, issues);
    expect(issues.lines).toEqual([
      'filters[0].typed_config.stat_prefix: stat_prefix is required',
      'filters[0].typed_config.enforcement_type: enforcement_type SOMETIMES is not supported',
    ]);
  });
});

describe('network RBAC on live connections', () => {
  let upstream: net.Server;
  let upstreamPort: number;
  let accepted = 0;
  let received = '';
  const records: RequestRecord[] = [];
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  function rbacListener(name: string, filters: Obj[]) {
    return {
      '@type': TypeUrl.Listener,
      name,
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [
        {
          filters: [
            ...filters,
            {
              name: 'envoy.filters.network.tcp_proxy',
              typed_config: { '@type': TCP_PROXY, stat_prefix: name, cluster: 'echo' },
            },
          ],
        },
      ],
    };
  }

  beforeAll(async () => {
    upstream = net.createServer((s) => {
      accepted++;
      s.on('data', (d: Buffer) => {
        received += d.toString();
        s.write(`echo:${d.toString()}`);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    proxy = await startProxy(
      {
        clusters: [staticCluster('echo', [['127.0.0.1', upstreamPort]])],
        listeners: [
          rbacListener(
            'deny-loopback',
            tcpFilters(
              policy(
                'd',
                `  action: DENY\n  rules: [{ from: [{ source: { ipBlocks: [127.0.0.0/8] } }] }]`,
              ),
            ),
          ),
          rbacListener(
            'allow-loopback',
            tcpFilters(policy('a', `  rules: [{ from: [{ source: { ipBlocks: [127.0.0.1] } }] }]`)),
          ),
        ],
      },
      { onRequestComplete: (r) => records.push(r) },
    );
  });
  afterAll(() => {
    proxy?.dp.close();
    upstream?.close();
  });

  /** Connects, writes, and collects what comes back until the proxy closes (or 300 ms of quiet). */
  function talk(port: number, msg: string): Promise<{ reply: string; closed: boolean }> {
    return new Promise((resolve) => {
      let reply = '';
      const s = net.connect(port, '127.0.0.1', () => s.write(msg));
      s.on('error', () => {});
      s.on('data', (d: Buffer) => {
        reply += d.toString();
        s.destroy();
        resolve({ reply, closed: false });
      });
      s.once('close', () => resolve({ reply, closed: true }));
    });
  }

  it('closes a refused connection without connecting upstream or forwarding a byte', async () => {
    const before = accepted;
    const r = await talk(proxy.port('deny-loopback'), 'secret');
    expect(r).toEqual({ reply: '', closed: true });
    // The allowed listener reaching the same upstream proves the upstream is there.
    expect(await talk(proxy.port('allow-loopback'), 'hi')).toEqual({
      reply: 'echo:hi',
      closed: false,
    });
    expect(accepted).toBe(before + 1);
    expect(received).not.toContain('secret');
    for (let i = 0; i < 50 && !records.some((x) => x.listenerName === 'deny-loopback'); i++)
      await new Promise((res) => setTimeout(res, 10));
    const rec = records.find((x) => x.listenerName === 'deny-loopback')!;
    expect(rec.protocol).toBe('TCP');
    expect(rec.connectionTerminationDetails).toBe(
      'rbac_access_denied_matched_policy[ns[default]-policy[d]-rule[0]]',
    );
    expect(rec.upstreamHost).toBe('');
    // Envoy's tcp.rbac.* counters, as the admin's /stats shows them.
    expect(Object.fromEntries(proxy.dp.stats().map((s) => [s.name, s.value]))).toMatchObject({
      'tcp.rbac.denied': 1,
      'tcp.rbac.allowed': 1,
    });
  });

  it('rejects a listener whose network filter comes after the terminal filter', async () => {
    const l = rbacListener('bad', []);
    const chain = (l.filter_chains[0] as { filters: Obj[] }).filters;
    chain.push(...tcpFilters(policy('a', `  rules: [{}]`)));
    const errors = await apply(proxy.dp, TypeUrl.Listener, [l]);
    expect(errors.join('\n')).toMatch(
      /bad: filter_chains\[0\]\.filters\[0\]: envoy\.filters\.network\.tcp_proxy is a terminal filter and must be last/,
    );
  });
});
