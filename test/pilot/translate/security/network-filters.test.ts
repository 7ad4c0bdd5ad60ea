// AuthorizationPolicies on TCP filter chains: the network RBAC filters pilot puts
// before tcp_proxy, golden per scenario (Istio's TCP rules: HTTP-only ALLOW rules
// dropped, HTTP-only parts of DENY/AUDIT rules removed), and where they go — a
// sidecar's inbound TCP ports and passthrough, a gateway's TCP and TLS servers, never
// a sidecar's outbound chains.
import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../../api/envoy/registry.ts';
import { familyOf } from '../../../../pilot/translate/cluster/context.ts';
import { LISTENER } from '../../../../pilot/translate/common/type-urls.ts';
import { tcpProxyFilter } from '../../../../pilot/translate/listener/filters.ts';
import { securityNetworkFilters } from '../../../../pilot/translate/security/network-filters.ts';
import { compareGolden } from '../../../support/golden.ts';
import { loadScenario, resourcesOf, type Scenario } from '../support/scenario.ts';

type Obj = Record<string, unknown>;

function filtersFor(s: Scenario, proxyName: string): Obj[] {
  const p = s.proxies.find((x) => x.name === proxyName)!;
  return securityNetworkFilters({ push: s.push, proxy: p.proxy, family: familyOf(p.proxy) });
}

/** Every filter must be valid Envoy in front of a tcp_proxy (strict decode and PGV rules). */
function expectValid(filters: Obj[]): void {
  const listener = {
    '@type': LISTENER,
    name: 'check',
    address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
    filter_chains: [{ filters: [...filters, tcpProxyFilter('c', { cluster: 'c' })] }],
  };
  expect(validateResource(listener)).toEqual([]);
}

const rules = (f: Obj, key = 'rules') =>
  ((f.typed_config as Obj)[key] as { action: string; policies: Obj } | undefined) ?? {
    action: '',
    policies: {},
  };

describe('network RBAC filters', () => {
  it('builds TCP rules the way Istio does (golden)', () => {
    const s = loadScenario('security/tcp');
    const out: Record<string, Obj[]> = {};
    for (const name of ['db', 'web']) {
      const filters = filtersFor(s, name);
      expectValid(filters);
      out[name] = filters;
    }
    compareGolden('translate/security/tcp.filters', out);
  });

  it('orders AUDIT, DENY, ALLOW, each named envoy.filters.network.rbac with stat_prefix tcp.', () => {
    const filters = filtersFor(loadScenario('security/tcp'), 'db');
    expect(filters.map((f) => f.name)).toEqual(Array(3).fill('envoy.filters.network.rbac'));
    expect(filters.map((f) => (f.typed_config as Obj).stat_prefix)).toEqual([
      'tcp.',
      'tcp.',
      'tcp.',
    ]);
    expect(filters.map((f) => rules(f).action)).toEqual(['LOG', 'DENY', 'ALLOW']);
  });

  it('drops ALLOW rules with HTTP-only fields and keeps the TCP-only ones', () => {
    const allow = filtersFor(loadScenario('security/tcp'), 'db')[2]!;
    expect(Object.keys(rules(allow).policies).sort()).toEqual([
      'ns[foo]-policy[db-allow]-rule[1]',
      'ns[foo]-policy[db-allow]-rule[4]',
    ]);
    // The dry-run ALLOW has only an HTTP rule: its shadow rules allow nothing.
    expect(rules(allow, 'shadow_rules')).toEqual({ action: 'ALLOW', policies: {} });
  });

  it('keeps every DENY rule, wider: a rule of HTTP fields only denies every connection', () => {
    const deny = filtersFor(loadScenario('security/tcp'), 'db')[1]!;
    const policies = rules(deny).policies as Record<string, Obj>;
    expect(Object.keys(policies)).toHaveLength(4);
    expect(policies['ns[foo]-policy[db-deny]-rule[0]']).toEqual({
      permissions: [{ and_rules: { rules: [{ any: true }] } }],
      principals: [{ and_ids: { ids: [{ any: true }] } }],
    });
  });

  it('leaves an ALLOW filter with no policy when no rule survives: no connection is allowed', () => {
    const [allow] = filtersFor(loadScenario('security/tcp'), 'web');
    expect(rules(allow!)).toEqual({ action: 'ALLOW', policies: {} });
  });

  const mesh = loadScenario('security/tcp-chains');

  /** listener/chain → its network filter names, for chains that end in tcp_proxy. */
  function tcpChains(proxy: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const l of resourcesOf(mesh, 'lds', proxy))
      ((l.filter_chains as Obj[] | undefined) ?? []).forEach((c, i) => {
        const names = (c.filters as Obj[]).map((f) => String(f.name));
        if (names.at(-1) !== 'envoy.filters.network.tcp_proxy') return;
        const match = c.filter_chain_match as Obj | undefined;
        const key = `${String(l.name)}/${String(c.name ?? i)}${match?.transport_protocol ? `/${String(match.transport_protocol)}` : ''}`;
        out[key] = names.map((n) => n.replace('envoy.filters.network.', ''));
      });
    return out;
  }

  it("reaches a sidecar's inbound TCP chains and passthrough, not its outbound ones", () => {
    const chains = tcpChains('db');
    // Inbound TCP chains open with Istio's metadata exchange, then RBAC.
    const guarded = Object.entries(chains)
      .filter(([, names]) => names[0] === 'istio.metadata_exchange' && names[1] === 'rbac')
      .map(([k]) => k)
      .sort();
    expect(guarded).toEqual([
      'virtualInbound/0.0.0.0_5432/raw_buffer',
      'virtualInbound/0.0.0.0_5432/tls',
      'virtualInbound/InboundPassthroughFilterChain',
      'virtualInbound/InboundPassthroughFilterChain-plaintext/raw_buffer',
    ]);
    expect(chains['virtualInbound/0.0.0.0_5432/tls']).toEqual([
      'istio.metadata_exchange',
      'rbac',
      'tcp_proxy',
    ]);
    // The capture loop guard and every outbound chain stay as they were.
    expect(chains['virtualInbound/virtualInbound-blackhole']).toEqual(['tcp_proxy']);
    expect(
      Object.keys(chains).filter((k) => !k.startsWith('virtualInbound/')).length,
    ).toBeGreaterThan(0);
    for (const [k, names] of Object.entries(chains))
      if (!k.startsWith('virtualInbound/')) expect(names, k).toEqual(['tcp_proxy']);
  });

  it("reaches a gateway's TCP and TLS passthrough servers", () => {
    expect(tcpChains('gateway')).toEqual({
      '0.0.0.0_443/0': ['rbac', 'tcp_proxy'],
      '0.0.0.0_5432/0': ['rbac', 'tcp_proxy'],
    });
    for (const l of resourcesOf(mesh, 'lds', 'gateway')) expect(validateResource(l)).toEqual([]);
  });
});
