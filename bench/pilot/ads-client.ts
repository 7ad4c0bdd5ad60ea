// One simulated Envoy sidecar on a real gRPC SotW ADS stream, subscribing the
// way Envoy does: CDS and LDS as wildcards; EDS for the EDS clusters CDS named
// and RDS for the route configs the listeners name, each sent before the ACK of
// the response that named them (Envoy warms clusters and listeners that way).
// Every response is ACKed at once (version_info and nonce echoed, the current
// resource_names repeated) — nothing is ever NACKed.
// Protocol: https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol
import type * as grpc from '@grpc/grpc-js';
import { decodeAny, structForLoader } from '../../api/envoy/registry.ts';
import type { BenchNode } from './node-ids.ts';
import { peekCluster, peekString, resourceNameField } from './proto-peek.ts';

export const TYPE = {
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

export type ShortType = keyof typeof TYPE;

const SHORT_OF = new Map<string, ShortType>(
  Object.entries(TYPE).map(([k, v]) => [v, k as ShortType]),
);

interface WireAny {
  type_url: string;
  value: Buffer;
}

interface DiscoveryResponse {
  version_info?: string;
  resources?: WireAny[];
  type_url?: string;
  nonce?: string;
}

interface TypeState {
  names: string[];
  version: string;
  nonce: string;
  acked: boolean;
  /** Resource names received at least once (EDS, RDS). */
  received: Set<string>;
}

/** Told after each ACK is written: the type, the response's resources, and when. */
export type AckListener = (
  client: AdsClient,
  type: ShortType,
  resources: readonly WireAny[],
  at: number,
) => void;

let fieldIds: { cla: number; route: number } | undefined;

function names(): { cla: number; route: number } {
  fieldIds ??= {
    cla: resourceNameField('envoy.config.endpoint.v3.ClusterLoadAssignment', 'cluster_name'),
    route: resourceNameField('envoy.config.route.v3.RouteConfiguration', 'name'),
  };
  return fieldIds;
}

/** Route config names the listeners' HTTP connection managers ask for by RDS. */
function routeNames(listeners: readonly WireAny[]): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const rds = (v as { rds?: { route_config_name?: unknown } }).rds;
      if (rds && typeof rds.route_config_name === 'string') out.add(rds.route_config_name);
      for (const x of Object.values(v)) walk(x);
    }
  };
  for (const l of listeners) walk(decodeAny(l));
  return [...out].sort();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Envoy's ADS retry back-off: jittered exponential from 500 ms, at most 30 s. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

export type OpenStream = () => grpc.ClientDuplexStream<unknown, unknown>;

export class AdsClient {
  readonly index: number;
  readonly node: BenchNode;
  state = new Map<ShortType, TypeState>();
  /** EDS clusters from the last CDS response. */
  edsClusters = new Set<string>();
  /** Closed by us (stop), never to reconnect. */
  closed = false;
  /** Streams the server ended (e.g. istiod's RESOURCE_EXHAUSTED request rate limit); each is retried as Envoy does. */
  failures = 0;
  error: string | undefined;
  readonly #open: OpenStream;
  readonly #onAck: AckListener;
  #call: grpc.ClientDuplexStream<unknown, unknown> | undefined;
  #nodeSent = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(index: number, node: BenchNode, open: OpenStream, onAck: AckListener) {
    this.index = index;
    this.node = node;
    this.#open = open;
    this.#onAck = onAck;
  }

  /** Opens the stream and subscribes (again, after a failure: a new stream starts from nothing). */
  start(): void {
    if (this.closed) return;
    const call = this.#open();
    this.#call = call;
    this.#nodeSent = false;
    this.state = new Map();
    this.edsClusters = new Set();
    call.on('data', (r: DiscoveryResponse) => {
      if (call === this.#call) this.#receive(r);
    });
    const ended = (why: string) => {
      if (call !== this.#call || this.closed) return;
      this.#call = undefined;
      this.failures++;
      this.error = why;
      const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures - 1, 10));
      this.#retry = setTimeout(() => this.start(), Math.random() * backoff);
    };
    call.on('error', (err: Error) => ended(err.message));
    call.on('end', () => ended('stream ended by the server'));
    this.#request('CDS', [], '', '');
    this.#request('LDS', [], '', '');
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.#retry);
    this.#call?.cancel();
  }

  /** CDS and LDS ACKed, and every EDS cluster and route config received. */
  ready(): boolean {
    const cds = this.state.get('CDS');
    const lds = this.state.get('LDS');
    if (!cds?.acked || !lds?.acked) return false;
    const eds = this.state.get('EDS');
    if (
      this.edsClusters.size > 0 &&
      (!eds || [...this.edsClusters].some((n) => !eds.received.has(n)))
    )
      return false;
    const rds = this.state.get('RDS');
    return lds.names.length === 0 || (!!rds && lds.names.every((n) => rds.received.has(n)));
  }

  #request(type: ShortType, resourceNames: string[], version: string, nonce: string): void {
    const req: Record<string, unknown> = {
      type_url: TYPE[type],
      resource_names: resourceNames,
      version_info: version,
      response_nonce: nonce,
    };
    // Envoy sends the node on the first request of a stream only.
    if (!this.#nodeSent) {
      req.node = {
        id: this.node.id,
        cluster: this.node.cluster,
        metadata: structForLoader(this.node.metadata),
      };
      this.#nodeSent = true;
    }
    let st = this.state.get(type);
    if (!st)
      this.state.set(
        type,
        (st = { names: [], version: '', nonce: '', acked: false, received: new Set() }),
      );
    // CDS and LDS stay wildcard; LDS's names are the route names it found (for ready()).
    if (type === 'EDS' || type === 'RDS') st.names = resourceNames;
    this.#call?.write(req);
  }

  #receive(res: DiscoveryResponse): void {
    if (this.closed) return;
    const type = SHORT_OF.get(res.type_url ?? '');
    if (!type) return;
    const resources = res.resources ?? [];
    const version = res.version_info ?? '';
    const nonce = res.nonce ?? '';
    const st = this.state.get(type)!;
    if (type === 'CDS') {
      const eds = new Set<string>();
      for (const r of resources) {
        const c = peekCluster(r.value);
        if (c.eds) eds.add(c.name);
      }
      const before = [...this.edsClusters].sort();
      const after = [...eds].sort();
      this.edsClusters = eds;
      if (!sameList(before, after)) {
        const e = this.state.get('EDS');
        this.#request('EDS', after, e?.version ?? '', e?.nonce ?? '');
      }
      this.#ack('CDS', st, [], version, nonce, resources);
    } else if (type === 'LDS') {
      const routes = routeNames(resources);
      if (!sameList(routes, st.names)) {
        st.names = routes;
        const r = this.state.get('RDS');
        this.#request('RDS', routes, r?.version ?? '', r?.nonce ?? '');
      }
      this.#ack('LDS', st, [], version, nonce, resources);
    } else {
      const field = type === 'EDS' ? names().cla : names().route;
      for (const r of resources) {
        const name = peekString(r.value, field);
        if (name !== undefined) st.received.add(name);
      }
      this.#ack(type, st, st.names, version, nonce, resources);
    }
  }

  #ack(
    type: ShortType,
    st: TypeState,
    resourceNames: string[],
    version: string,
    nonce: string,
    resources: readonly WireAny[],
  ): void {
    st.version = version;
    st.nonce = nonce;
    st.acked = true;
    this.#call?.write({
      type_url: TYPE[type],
      resource_names: resourceNames,
      version_info: version,
      response_nonce: nonce,
    });
    this.#onAck(this, type, resources, now());
  }
}
