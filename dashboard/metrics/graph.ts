// The service graph from istio_* metrics, the way Kiali draws it: workload nodes
// and service nodes; an edge from the calling workload to the service it called,
// and from the service to each workload that answered. Per edge, over the recent
// window: requests per second, the share of 5xx (and of requests that got no
// response at all), and p99 latency as Prometheus' histogram_quantile computes it.
// Calls are read as their client reported them (reporter="source"): a fault the
// client's sidecar injected never reaches the server. Calls from outside the mesh
// have no client report and are read as the server reported them.
import type { MetricFamily, Sample } from './prom-text.ts';

export interface GraphNode {
  id: string;
  kind: 'workload' | 'service';
  name: string;
  namespace: string;
  app?: string;
  version?: string;
}

export interface GraphEdge {
  source: string;
  target: string;
  /** Requests per second over the window. */
  rps: number;
  /** 0..1: 5xx or no response, over the window. */
  errorRate: number;
  /** p99 latency in ms over the window; undefined without requests in it. */
  p99Ms: number | undefined;
  /** Requests since the proxies started. */
  total: number;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  windowSeconds: number;
}

export interface Round {
  at: number;
  families: readonly MetricFamily[];
}

const REQUESTS = 'istio_requests_total';
const DURATION = 'istio_request_duration_milliseconds';
const known = (v: string | undefined) => v !== undefined && v !== '' && v !== 'unknown';

function seriesKey(s: Sample): string {
  return `${s.name}{${Object.entries(s.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;
}

function samples(round: Round | undefined, family: string): Sample[] {
  return round?.families.find((f) => f.name === family)?.samples ?? [];
}

/** Whether a series describes a call the graph reads (see the header). */
function counted(l: Record<string, string>): boolean {
  if (l.reporter === 'source') return true;
  return l.reporter === 'destination' && !known(l.source_workload);
}

interface Acc {
  requests: number;
  errors: number;
  total: number;
  buckets: Map<number, number>;
}

export function quantile(q: number, buckets: Map<number, number>): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total <= 0 || bounds.length < 2) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = buckets.get(b)!;
    if (c >= rank) {
      if (b === Infinity) return prevBound;
      if (c === prevCount) return b;
      return prevBound + ((b - prevBound) * (rank - prevCount)) / (c - prevCount);
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

export function buildGraph(oldest: Round | undefined, newest: Round): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, Acc>();
  const before = new Map<string, number>();
  for (const f of [REQUESTS, DURATION]) {
    const fam = f === DURATION ? `${DURATION}_bucket` : REQUESTS;
    for (const s of samples(oldest, f)) if (s.name === fam) before.set(seriesKey(s), s.value);
  }
  const delta = (s: Sample) => {
    const old = before.get(seriesKey(s)) ?? 0;
    return s.value >= old ? s.value - old : s.value; // a proxy restart resets its counters
  };
  // A workload seen as caller and as callee: keep what either side said about it.
  const addNode = (n: GraphNode) => {
    const old = nodes.get(n.id);
    nodes.set(
      n.id,
      old
        ? { ...n, app: n.app ?? old.app, version: known(n.version) ? n.version : old.version }
        : n,
    );
  };
  const edgeKeys = (l: Record<string, string>): string[] => {
    const srcNs = l.source_workload_namespace || 'unknown';
    const src = `workload:${srcNs}/${l.source_workload || 'unknown'}`;
    addNode({
      id: src,
      kind: 'workload',
      name: l.source_workload || 'unknown',
      namespace: srcNs,
      app: l.source_app,
      version: l.source_version,
    });
    // The namespace is the host's second label when the proxy could not name it.
    const svcNs = known(l.destination_service_namespace)
      ? l.destination_service_namespace!
      : (l.destination_service?.split('.')[1] ?? 'unknown');
    const svcName = l.destination_service_name || l.destination_service || 'unknown';
    const svc = `service:${svcNs}/${svcName}`;
    addNode({ id: svc, kind: 'service', name: svcName, namespace: svcNs });
    const keys = [`${src}>${svc}`];
    if (known(l.destination_workload)) {
      const dns = l.destination_workload_namespace || svcNs;
      const dst = `workload:${dns}/${l.destination_workload}`;
      addNode({
        id: dst,
        kind: 'workload',
        name: l.destination_workload!,
        namespace: dns,
        app: l.destination_app,
        version: l.destination_version,
      });
      keys.push(`${svc}>${dst}`);
    }
    return keys;
  };
  const acc = (key: string): Acc => {
    let a = edges.get(key);
    if (!a) edges.set(key, (a = { requests: 0, errors: 0, total: 0, buckets: new Map() }));
    return a;
  };
  for (const s of samples(newest, REQUESTS)) {
    if (s.name !== REQUESTS || !counted(s.labels)) continue;
    const d = delta(s);
    const code = Number(s.labels.response_code ?? '0');
    for (const k of edgeKeys(s.labels)) {
      const a = acc(k);
      a.requests += d;
      a.total += s.value;
      if (code >= 500 || code === 0) a.errors += d;
    }
  }
  for (const s of samples(newest, DURATION)) {
    if (s.name !== `${DURATION}_bucket` || !counted(s.labels)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    const d = delta(s);
    for (const k of edgeKeys(s.labels)) {
      const b = acc(k).buckets;
      b.set(le, (b.get(le) ?? 0) + d);
    }
  }
  const seconds = oldest ? Math.max((newest.at - oldest.at) / 1000, 0.001) : 0;
  return {
    windowSeconds: seconds,
    nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    edges: [...edges.entries()]
      .map(([key, a]) => {
        const [source, target] = key.split('>') as [string, string];
        return {
          source,
          target,
          rps: seconds > 0 ? a.requests / seconds : 0,
          errorRate: a.requests > 0 ? a.errors / a.requests : 0,
          p99Ms: a.requests > 0 ? quantile(0.99, a.buckets) : undefined,
          total: a.total,
        };
      })
      .sort((x, y) => (x.source + x.target < y.source + y.target ? -1 : 1)),
  };
}
