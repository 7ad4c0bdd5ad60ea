// Each service's routes, read from what pilot last sent a proxy (its RDS in the
// config dump) and summarised for people: which requests match, where they go (with
// weights), and the timeout, retries and faults that apply. Envoy's own catch-all
// virtual hosts (allow_any, block_all) are left out.
type Obj = Record<string, any>;

export interface RouteSummary {
  name: string;
  match: string;
  destinations: { cluster: string; weight?: number }[];
  notes: string[];
}

export interface VirtualHostRoutes {
  proxy: string;
  routeConfig: string;
  virtualHost: string;
  domains: string[];
  routes: RouteSummary[];
}

const CATCH_ALL = new Set(['allow_any', 'block_all']);
const FAULT = 'envoy.filters.http.fault';
const ISTIO_DEFAULT_RETRY_ON =
  'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

function describeMatch(m: Obj | undefined): string {
  if (!m) return 'any';
  const parts: string[] = [];
  if (m.prefix !== undefined) parts.push(m.prefix === '/' ? 'any path' : `prefix ${m.prefix}`);
  if (m.path !== undefined) parts.push(`path ${m.path}`);
  if (m.safe_regex) parts.push(`regex ${m.safe_regex.regex}`);
  if (m.path_separated_prefix !== undefined) parts.push(`prefix ${m.path_separated_prefix}`);
  for (const h of m.headers ?? []) {
    const sm = h.string_match ?? {};
    const v =
      sm.exact ??
      sm.prefix ??
      sm.suffix ??
      sm.safe_regex?.regex ??
      (h.present_match ? '(present)' : '');
    parts.push(
      `header ${h.name}${sm.exact !== undefined ? '=' : sm.prefix !== undefined ? '^=' : '~'}${v}`,
    );
  }
  for (const q of m.query_parameters ?? []) parts.push(`query ${q.name}`);
  return parts.join(', ') || 'any';
}

function notesOf(r: Obj): string[] {
  const notes: string[] = [];
  const a = r.route as Obj | undefined;
  if (a?.timeout && a.timeout !== '0s') notes.push(`timeout ${a.timeout}`);
  // Istio's default policy (2 retries on connect failures) is on every route: not news.
  const rp = a?.retry_policy;
  const istioDefault =
    rp && (rp.num_retries?.value ?? rp.num_retries) === 2 && rp.retry_on === ISTIO_DEFAULT_RETRY_ON;
  if (rp && !istioDefault) {
    notes.push(
      `retries ${rp.num_retries?.value ?? rp.num_retries ?? 1} on ${rp.retry_on}${rp.per_try_timeout ? ` (${rp.per_try_timeout} each)` : ''}`,
    );
  }
  const fault = r.typed_per_filter_config?.[FAULT];
  if (fault?.delay)
    notes.push(`delay ${fault.delay.fixed_delay} for ${pct(fault.delay.percentage)}`);
  if (fault?.abort)
    notes.push(
      `abort ${fault.abort.http_status ?? fault.abort.grpc_status} for ${pct(fault.abort.percentage)}`,
    );
  if (r.direct_response) notes.push(`answers ${r.direct_response.status}`);
  if (r.redirect) notes.push('redirect');
  if (a?.request_mirror_policies?.length)
    notes.push(`mirror to ${a.request_mirror_policies.map((m: Obj) => m.cluster).join(', ')}`);
  return notes;
}

function pct(p: Obj | undefined): string {
  if (!p) return '100%';
  const d = p.denominator === 'MILLION' ? 1e4 : p.denominator === 'TEN_THOUSAND' ? 100 : 1;
  return `${(p.numerator ?? 0) / d}%`;
}

function destinations(r: Obj): RouteSummary['destinations'] {
  const a = r.route as Obj | undefined;
  if (!a) return [];
  if (a.cluster) return [{ cluster: a.cluster }];
  return (a.weighted_clusters?.clusters ?? []).map((c: Obj) => ({
    cluster: c.name,
    weight: c.weight?.value ?? c.weight,
  }));
}

export function summarizeRoutes(proxy: string, dump: { configs: Obj[] }): VirtualHostRoutes[] {
  const out: VirtualHostRoutes[] = [];
  for (const c of dump.configs) {
    if (!String(c['@type'] ?? '').endsWith('RoutesConfigDump')) continue;
    for (const d of c.dynamic_route_configs ?? []) {
      const rc = d.route_config ?? {};
      for (const vh of rc.virtual_hosts ?? []) {
        if (CATCH_ALL.has(vh.name)) continue;
        out.push({
          proxy,
          routeConfig: rc.name,
          virtualHost: vh.name,
          domains: vh.domains ?? [],
          routes: (vh.routes ?? []).map((r: Obj) => ({
            name: r.name ?? '',
            match: describeMatch(r.match),
            destinations: destinations(r),
            notes: notesOf(r),
          })),
        });
      }
    }
  }
  return out;
}
