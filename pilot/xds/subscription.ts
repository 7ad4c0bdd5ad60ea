// One proxy's subscription to one xDS type on one stream: which names it wants,
// what was last sent (version, nonce, resources) and what it ACKed or NACKed.
import type { EncodedResource } from './encode.ts';
import type { NackRecord, SyncState, TypeSyncStatus } from './types.ts';
import { metricType } from './type-urls.ts';
import { HeldResources } from './held-resources.ts';
import { sharedNames } from './name-lists.ts';

export class Subscription {
  readonly typeUrl: string;
  wildcard = false;
  /** The subscribed names: a set shared by subscriptions asking for the same list (name-lists.ts), replaced, never changed. */
  names: ReadonlySet<string> = new Set<string>();
  #list: readonly string[] = [];
  /** Bumped whenever wildcard/names change; part of the generation cache key. */
  namesRevision = 0;
  /** False until the first response was sent (or, before any push, the first request is parked). */
  started = false;

  /**
   * Cache of the last generation, keyed by push snapshot identity + namesRevision.
   * The snapshot is held weakly: a proxy that no push touched since must not
   * keep an old PushContext (tens of MiB at a thousand services) alive.
   */
  generated?: { push: WeakRef<object>; namesRevision: number; resources: EncodedResource[] };
  /**
   * True for SotW Listener and Cluster: every response carries the whole set,
   * and the proxy holds exactly `sent`. Otherwise (delta, and SotW of every
   * other type) responses carry only what changed and the proxy holds `current`.
   */
  readonly complete: boolean;
  /** Complete subscriptions: the last response's resources, in order. */
  sent: EncodedResource[] = [];
  /** Other subscriptions: what the proxy holds (sent, or declared on reconnect), name → version and resource. */
  readonly holding = new HeldResources();
  /** SotW: the proxy has named resources explicitly, so an empty list no longer means wildcard. */
  everNamed = false;
  /** Delta: subscribed names already reported in removed_resources as not existing. */
  readonly absent = new Set<string>();

  sentNonce?: string;
  sentVersion?: string;
  sentAt?: Date;
  ackedNonce?: string;
  ackedVersion?: string;
  nack?: NackRecord;

  constructor(typeUrl: string, complete: boolean) {
    this.typeUrl = typeUrl;
    this.complete = complete;
  }

  /**
   * SotW: replaces the requested names. Returns undefined when nothing changed,
   * else whether the proxy now wants resources it did not want before.
   */
  replaceNames(names: readonly string[], wildcard: boolean): { added: boolean } | undefined {
    if (this.unchanged(names, wildcard)) return undefined;
    const added = (wildcard && !this.wildcard) || names.some((n) => !this.names.has(n));
    const before = this.names;
    this.wildcard = wildcard;
    this.#setNames([...new Set(names)]);
    // Newly requested names must be sent again even if sent before
    // (xds_protocol#how-the-client-specifies-what-resources-to-return), and
    // unrequested ones are dropped by the proxy.
    for (const n of names) if (!before.has(n)) this.holding.forgetVersion(n);
    for (const n of before) if (!this.wants(n)) this.holding.drop(n);
    return { added };
  }

  /** Whether a SotW request naming `names` (wildcard or not) leaves the subscription as it is. */
  unchanged(names: readonly string[], wildcard: boolean): boolean {
    return wildcard === this.wildcard && this.sameNames(names);
  }

  /**
   * Whether `names` are the subscribed ones. An ACK repeats the names of the
   * request before it (thousands for EDS), almost always in the same order:
   * compared in order first, by set only when the order moved.
   */
  private sameNames(names: readonly string[]): boolean {
    if (names.length !== this.names.size) return false;
    let i = 0;
    for (const n of this.names) {
      if (names[i] !== n) break;
      i++;
    }
    if (i === names.length) return true;
    for (; i < names.length; i++) if (!this.names.has(names[i]!)) return false;
    return true;
  }

  /** Delta: applies subscribe/unsubscribe lists; returns the names newly subscribed. */
  applyDelta(subscribe: readonly string[], unsubscribe: readonly string[]): string[] {
    const added: string[] = [];
    let names: Set<string> | undefined;
    const edit = () => (names ??= new Set(this.names));
    for (const n of unsubscribe) {
      if (n === '*') {
        if (this.wildcard) this.namesRevision++;
        this.wildcard = false;
      } else if (this.names.has(n)) edit().delete(n);
    }
    for (const n of subscribe) {
      if (n === '*') {
        if (!this.wildcard) this.namesRevision++;
        this.wildcard = true;
      } else if (!(names ?? this.names).has(n)) {
        edit().add(n);
        added.push(n);
      }
    }
    if (names) this.#setNames([...names]);
    return added;
  }

  /** Replaces the names by a shared list and set (copy on write: the set may be another proxy's too). */
  #setNames(list: string[]): void {
    const shared = sharedNames(list);
    this.#list = shared.list;
    this.names = shared.set;
    this.namesRevision++;
  }

  /**
   * The subscribed names as an array (what generators take). Subscriptions
   * asking for the same names in the same order get the same array, so
   * generators can share their output by it.
   */
  nameList(): readonly string[] {
    return this.#list;
  }

  /** Whether a resource of this name is within what the proxy asked for. */
  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  recordSent(nonce: string, version: string): void {
    this.sentNonce = nonce;
    this.sentVersion = version;
    this.sentAt = new Date();
  }

  recordAck(nonce: string, version: string): void {
    this.ackedNonce = nonce;
    this.ackedVersion = version;
  }

  /** The resources the proxy holds now, as far as the server knows. */
  held(): EncodedResource[] {
    return this.complete ? this.sent : this.holding.resources();
  }

  state(): SyncState {
    if (this.sentNonce === undefined) return 'NOT SENT';
    if (this.nack && this.nack.nonce === this.sentNonce) return 'NACK';
    return this.ackedNonce === this.sentNonce ? 'SYNCED' : 'STALE';
  }

  status(): TypeSyncStatus {
    return {
      type: metricType(this.typeUrl),
      typeUrl: this.typeUrl,
      state: this.state(),
      sentVersion: this.sentVersion,
      sentNonce: this.sentNonce,
      ackedVersion: this.ackedVersion,
      ackedNonce: this.ackedNonce,
      resources: this.complete ? this.sent.length : this.holding.resourceCount(),
      wildcard: this.wildcard,
      nack: this.nack,
    };
  }
}
