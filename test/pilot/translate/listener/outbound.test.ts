// A sidecar's outbound listeners for TCP and TLS services: one per VIP:port, SNI
// chains (with the TLS inspector) for TLS services without an address, one
// catch-all per port for TCP services without an address, ports of unknown protocol
// as TCP, and VirtualService tcp / tls routes.
import { describe, expect, it } from 'vitest';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';

const s = scenarioFromYaml(`
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: default}
spec:
  clusterIP: 10.96.0.40
  ports: [{name: redis, port: 6379}, {name: web, port: 8000}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext-tcp, namespace: default}
spec:
  hosts: [a.tcp.example, b.tcp.example]
  resolution: DNS
  ports: [{number: 7000, name: tcp, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext-tls, namespace: default}
spec:
  hosts: [secure.example]
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vip-tls, namespace: default}
spec:
  hosts: [vip.example]
  addresses: [240.0.0.9]
  resolution: DNS
  ports: [{number: 8443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cache, namespace: default}
spec:
  hosts: [cache]
  tcp:
  - match: [{port: 6379, sourceLabels: {app: nobody}}]
    route: [{destination: {host: a.tcp.example, port: {number: 7000}}}]
  - route:
    - {destination: {host: cache, port: {number: 6379}}, weight: 70}
    - {destination: {host: a.tcp.example, port: {number: 7000}}, weight: 30}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vip-tls, namespace: default}
spec:
  hosts: [vip.example]
  tls:
  - match: [{sniHosts: [one.vip.example]}, {sniHosts: [two.vip.example], sourceLabels: {app: nobody}}]
    route: [{destination: {host: secure.example, port: {number: 443}}}]
---
kind: TestProxy
name: p
node: {id: sidecar~10.1.0.9~client.default~default.svc.cluster.local, metadata: {NAMESPACE: default, LABELS: {app: client}}}
`);
const lds = resourcesOf(s, 'lds');
const chains = (l: EnvoyResource) =>
  l.filter_chains as {
    filter_chain_match?: { server_names?: string[] };
    filters: { name: string; typed_config: Record<string, unknown> }[];
  }[];

describe('outbound TCP and TLS listeners', () => {
  it('builds exactly these listeners', () => {
    expect(lds.map((l) => String(l.name)).sort()).toEqual([
      '0.0.0.0_443',
      '0.0.0.0_7000',
      '10.96.0.40_6379',
      '10.96.0.40_8000',
      '240.0.0.9_8443',
      'virtualInbound',
      'virtualOutbound',
    ]);
  });

  it('treats a port of unknown protocol as TCP', () => {
    const l = named(lds, '10.96.0.40_8000');
    expect(chains(l)[0]!.filters[0]!.name).toBe('envoy.filters.network.tcp_proxy');
    expect(resourcesOf(s, 'rds')).toEqual([]);
  });

  it('applies the first tcp route whose match applies, with weights', () => {
    const tcp = chains(named(lds, '10.96.0.40_6379'))[0]!.filters[0]!.typed_config;
    expect(tcp.weighted_clusters).toEqual({
      clusters: [
        { name: 'outbound|6379||cache.default.svc.cluster.local', weight: 70 },
        { name: 'outbound|7000||a.tcp.example', weight: 30 },
      ],
    });
  });

  it('gives TCP services without an address one catch-all chain per port (the first host keeps it)', () => {
    const l = named(lds, '0.0.0.0_7000');
    expect(chains(l)).toHaveLength(1);
    expect(chains(l)[0]!.filters[0]!.typed_config.cluster).toBe('outbound|7000||a.tcp.example');
    expect(l.listener_filters).toBeUndefined();
  });

  it('selects TLS services without an address by SNI behind the TLS inspector', () => {
    const l = named(lds, '0.0.0.0_443');
    expect(chains(l).map((c) => c.filter_chain_match?.server_names)).toEqual([['secure.example']]);
    expect((l.listener_filters as { name: string }[])[0]!.name).toBe(
      'envoy.filters.listener.tls_inspector',
    );
  });

  it('turns tls routes into SNI chains on the VIP listener, leaving out matches for other sources', () => {
    const l = named(lds, '240.0.0.9_8443');
    expect(chains(l).map((c) => c.filter_chain_match?.server_names)).toEqual([['one.vip.example']]);
    expect(chains(l)[0]!.filters[0]!.typed_config.cluster).toBe('outbound|443||secure.example');
  });
});
