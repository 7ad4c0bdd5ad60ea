// A listener filter's filter_disabled (envoy.config.listener.v3.
// ListenerFilterChainMatchPredicate): when it matches a connection, the filter
// does not run for it. Pilot switches the inspectors off for ports whose chains
// match the port alone (virtualInbound's declared ports), so connections to them
// are handed on at once instead of waiting for bytes a server-first protocol never
// sends first. Only the destination port is known before inspection, so only
// predicates over it (and their combinations) are supported.
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asObj, wrappedBool, type Obj } from '../config/values.ts';

/** Whether the predicate matches a connection to `port`. */
export type PortPredicate = (port: number) => boolean;

const NEVER: PortPredicate = () => false;

export function compilePortPredicate(raw: unknown, issues: Issues): PortPredicate {
  const p = asObj(raw);
  if (!p) {
    issues.add('expected a ListenerFilterChainMatchPredicate');
    return NEVER;
  }
  if (p.destination_port_range !== undefined) {
    const r = asObj(p.destination_port_range) ?? {};
    const start = asNumber(r.start) ?? 0;
    const end = asNumber(r.end) ?? 0;
    if (end <= start) issues.at('destination_port_range').add('end must be above start');
    // Envoy's Int32Range: start inclusive, end exclusive.
    return (port) => port >= start && port < end;
  }
  if (p.any_match !== undefined) return () => wrappedBool(p.any_match, false);
  if (p.not_match !== undefined) {
    const inner = compilePortPredicate(p.not_match, issues.at('not_match'));
    return (port) => !inner(port);
  }
  for (const key of ['or_match', 'and_match'] as const) {
    if (p[key] === undefined) continue;
    const rules = asArray((asObj(p[key]) as Obj | undefined)?.rules).map((r, i) =>
      compilePortPredicate(r, issues.at(key).at('rules').at(i)),
    );
    if (rules.length < 2) issues.at(key).add('needs at least two rules');
    return key === 'or_match'
      ? (port) => rules.some((r) => r(port))
      : (port) => rules.every((r) => r(port));
  }
  issues.add(
    'only destination_port_range, any_match, not_match, or_match and and_match are supported',
  );
  return NEVER;
}
