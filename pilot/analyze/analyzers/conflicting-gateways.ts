// IST0145: two Gateways with the same selector, a server on the same port and
// overlapping hosts (Istio's gateway.ConflictingGatewayAnalyzer): the same
// proxy gets both servers and which one answers a host is not defined.
import type { GatewaySpec } from '../../../api/istio/index.ts';
import type { ConfigObject } from '../../../api/config/object.ts';
import { hostsOverlap } from '../../model/hosts.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';
import { selectorString } from './gateway-selector.ts';

/** `ns/host` → `host`: the namespace part scopes VirtualServices, not what the server answers. */
function bareHost(entry: string): string {
  const slash = entry.indexOf('/');
  return slash < 0 ? entry : entry.slice(slash + 1);
}

export const conflictingGatewaysAnalyzer: Analyzer = {
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: "Checks a gateway's selector, port number and hosts",
  analyze(ctx) {
    // `selector~port` → gateway `ns/name` → the hosts of its servers on that port.
    const byKey = new Map<string, Map<string, string[]>>();
    const name = (gw: ConfigObject) => `${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`;
    const gateways = ctx.snapshot.list('Gateway');
    for (const gw of gateways) {
      const spec = gw.spec as GatewaySpec;
      for (const server of spec.servers) {
        const key = `${selectorString(spec.selector)}~${server.port.number}`;
        const entry = byKey.get(key) ?? new Map<string, string[]>();
        entry.set(name(gw), [...(entry.get(name(gw)) ?? []), ...server.hosts.map(bareHost)]);
        byKey.set(key, entry);
      }
    }
    for (const gw of gateways) {
      const spec = gw.spec as GatewaySpec;
      const selector = selectorString(spec.selector);
      spec.servers.forEach((server, i) => {
        const others = byKey.get(`${selector}~${server.port.number}`) ?? new Map();
        const conflicting: string[] = [];
        for (const [other, hosts] of others) {
          if (other === name(gw)) continue;
          const overlap = server.hosts.some((h) =>
            hosts.some((o: string) => hostsOverlap(bareHost(h), o)),
          );
          if (overlap) conflicting.push(other);
        }
        if (conflicting.length === 0) return;
        ctx.report(
          MESSAGES.ConflictingGateways.make(
            conflicting.sort().join(','),
            selector,
            String(server.port.number),
            server.hosts.join(','),
          ),
          gw,
          ['spec', 'servers', i, 'port', 'number'],
        );
      });
    }
  },
};
