// Builds a cluster's picker from its hosts: choose the priority level (the lowest
// with a healthy host), apply Envoy's panic threshold, optionally split by
// locality weight, then the cluster's policy within the chosen set. Built once per
// host-set change (EDS update, ejection, DNS answer); never per request.
import type { Host } from '../host.ts';
import { LeastRequest } from './least-request.ts';
import { Maglev } from './maglev.ts';
import { RandomLb } from './random.ts';
import { RingHash } from './ring-hash.ts';
import { RoundRobin } from './round-robin.ts';
import type { LbContext, LbOptions, LbPolicy, LoadBalancer } from './types.ts';

export interface PickerConfig {
  policy: LbPolicy;
  options: LbOptions;
  localityWeighted: boolean;
  /** healthy_panic_threshold in percent (Envoy default 50; 0 disables panic). */
  panicThreshold: number;
}

const EMPTY: LoadBalancer = { choose: () => undefined };

export function buildPicker(hosts: readonly Host[], cfg: PickerConfig): LoadBalancer {
  // Excluded hosts (DRAINING) never take traffic, not even in panic.
  const eligible = hosts.filter((h) => h.health !== 'DRAINING');
  if (eligible.length === 0) return EMPTY;
  const priorities = [...new Set(eligible.map((h) => h.priority))].sort((a, b) => a - b);
  for (const p of priorities) {
    const level = eligible.filter((h) => h.priority === p);
    const healthy = level.filter((h) => h.available);
    if (healthy.length === 0) continue;
    if ((healthy.length * 100) / level.length < cfg.panicThreshold) return policyLb(level, cfg);
    return cfg.localityWeighted ? localityLb(healthy, level, cfg) : policyLb(healthy, cfg);
  }
  // No healthy host at any level: panic routes to every host of the first level.
  if (cfg.panicThreshold > 0)
    return policyLb(
      eligible.filter((h) => h.priority === priorities[0]),
      cfg,
    );
  return EMPTY;
}

function policyLb(hosts: readonly Host[], cfg: PickerConfig): LoadBalancer {
  if (hosts.length === 0) return EMPTY;
  switch (cfg.policy) {
    case 'ROUND_ROBIN':
      return new RoundRobin(hosts);
    case 'LEAST_REQUEST':
      return new LeastRequest(hosts, cfg.options.choiceCount);
    case 'RANDOM':
      return new RandomLb(hosts);
    case 'RING_HASH':
      return new RingHash(hosts, cfg.options.ringMin, cfg.options.ringMax);
    case 'MAGLEV':
      return new Maglev(hosts, cfg.options.maglevTableSize);
  }
}

/**
 * Locality-weighted: a locality's effective weight is its weight scaled by its
 * healthy fraction; the locality is picked by weight, then a host inside it.
 */
function localityLb(
  healthy: readonly Host[],
  level: readonly Host[],
  cfg: PickerConfig,
): LoadBalancer {
  const groups = new Map<string, Host[]>();
  for (const h of healthy) {
    let g = groups.get(h.locality);
    if (!g) groups.set(h.locality, (g = []));
    g.push(h);
  }
  const members: { lb: LoadBalancer; cumulative: number }[] = [];
  let total = 0;
  for (const [loc, hs] of groups) {
    const all = level.filter((h) => h.locality === loc).length;
    const w = (hs[0]!.localityWeight * hs.length) / all;
    if (w <= 0) continue; // Envoy: a locality without weight gets no traffic under locality weighting
    total += w;
    members.push({ lb: policyLb(hs, cfg), cumulative: total });
  }
  if (members.length === 0) return EMPTY;
  return {
    choose(ctx: LbContext): Host | undefined {
      const r = Math.random() * total;
      for (const m of members) if (r < m.cumulative) return m.lb.choose(ctx);
      return members[members.length - 1]!.lb.choose(ctx);
    },
  };
}
