// A scripted ADS server for the agent's tests: a real grpc-js server with the
// Envoy protos, serving both StreamAggregatedResources and DeltaAggregatedResources.
// It records every request in arrival order and sends exactly what the test tells
// it to, so each test reads like the conversation it checks.
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, decodeAny, encodeResource } from '../../../../api/envoy/registry.ts';
import type { EnvoyResource, PackedAny } from '../../../../api/envoy/registry.ts';

export interface RecordedRequest {
  stream: number;
  kind: 'sotw' | 'delta';
  typeUrl: string;
  node?: { id?: string; cluster?: string; metadata?: unknown };
  nonce: string;
  errorDetail?: { code?: number; message?: string };
  // SotW
  versionInfo: string;
  resourceNames: string[];
  // Delta
  subscribe: string[];
  unsubscribe: string[];
  initialVersions: Record<string, string>;
}

type Call = grpc.ServerDuplexStream<Record<string, any>, Record<string, unknown>>;

export type Sendable = EnvoyResource | PackedAny;

function pack(resource: Sendable): PackedAny {
  return '@type' in resource ? encodeResource(resource) : resource;
}

export class ScriptedAdsServer {
  readonly server = new grpc.Server();
  port = 0;
  readonly requests: RecordedRequest[] = [];
  #read = 0;
  #calls: Array<{ id: number; kind: 'sotw' | 'delta'; call: Call }> = [];
  #waiters: Array<() => void> = [];
  #nonce = 0;

  static async start(port = 0): Promise<ScriptedAdsServer> {
    const s = new ScriptedAdsServer();
    s.server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: Call) => s.#accept('sotw', call),
      DeltaAggregatedResources: (call: Call) => s.#accept('delta', call),
    });
    s.port = await new Promise<number>((resolve, reject) =>
      s.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    return s;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** How many streams have been opened. */
  get streams(): number {
    return this.#calls.length;
  }

  #accept(kind: 'sotw' | 'delta', call: Call): void {
    const id = this.#calls.length + 1;
    this.#calls.push({ id, kind, call });
    call.on('data', (req: Record<string, any>) => {
      this.requests.push({
        stream: id,
        kind,
        typeUrl: req.type_url ?? '',
        node: req.node,
        nonce: req.response_nonce ?? '',
        errorDetail: req.error_detail,
        versionInfo: req.version_info ?? '',
        resourceNames: req.resource_names ?? [],
        subscribe: req.resource_names_subscribe ?? [],
        unsubscribe: req.resource_names_unsubscribe ?? [],
        initialVersions: req.initial_resource_versions ?? {},
      });
      for (const w of this.#waiters.splice(0)) w();
    });
    call.on('error', () => {});
    call.on('end', () => call.end());
  }

  /** The next request not yet read, in arrival order. */
  async next(timeoutMs = 5000): Promise<RecordedRequest> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.requests.length) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no request within ${timeoutMs} ms (got ${this.requests.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.requests[this.#read++]!;
  }

  /** Reads requests until one matches (the ones skipped are returned too, for order checks). */
  async until(match: (r: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    for (;;) {
      const r = await this.next(timeoutMs);
      if (match(r)) return r;
    }
  }

  /** Asserts nothing more arrives for a short while: returns what did arrive. */
  async quietFor(ms: number): Promise<RecordedRequest[]> {
    await new Promise((r) => setTimeout(r, ms));
    const extra = this.requests.slice(this.#read);
    this.#read = this.requests.length;
    return extra;
  }

  #latest(kind: 'sotw' | 'delta'): Call {
    const c = [...this.#calls].reverse().find((x) => x.kind === kind);
    if (!c) throw new Error(`no ${kind} stream open`);
    return c.call;
  }

  /** Sends a SotW DiscoveryResponse on the latest stream; returns its nonce. */
  sendSotw(typeUrl: string, version: string, resources: Sendable[]): string {
    const nonce = `n${++this.#nonce}`;
    this.#latest('sotw').write({
      version_info: version,
      type_url: typeUrl,
      nonce,
      resources: resources.map(pack),
    });
    return nonce;
  }

  /** Sends a DeltaDiscoveryResponse on the latest delta stream; returns its nonce. */
  sendDelta(
    typeUrl: string,
    update: {
      systemVersion?: string;
      resources?: Array<{ name: string; version: string; resource: Sendable }>;
      removed?: string[];
    },
  ): string {
    const nonce = `d${++this.#nonce}`;
    this.#latest('delta').write({
      system_version_info: update.systemVersion ?? '',
      type_url: typeUrl,
      nonce,
      resources: (update.resources ?? []).map((r) => ({
        name: r.name,
        version: r.version,
        resource: pack(r.resource),
      })),
      removed_resources: update.removed ?? [],
    });
    return nonce;
  }

  /** Ends every open stream with an UNAVAILABLE status (a pilot going away). */
  dropStreams(): void {
    // grpc-js ends a server stream with the status of an emitted error.
    for (const { call } of this.#calls)
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'going away' });
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
  }
}

/** Decodes a packed Any for assertions. */
export { decodeAny };
