// What one proxy holds of one subscribed type, for the types whose responses
// may carry a subset (SotW RDS/EDS/SDS, and every delta type): name → version,
// and the resource itself for config_dump.
//
// Sidecars alike hold the same thousands of ClusterLoadAssignments, from one
// shared encoded list (encode.ts). Two maps per proxy (the former `known` and
// `current`) cost ~350 KB per sidecar at a thousand services, a third of
// pilot's memory at 500 sidecars. So the state is a base — a shared list the
// proxy got in full, indexed once per list for every proxy that holds it —
// plus the few names that differ from it (a scoped endpoint push, delta
// requests, names kept from before the base).
import type { EncodedResource } from './encode.ts';

/** A name whose version differs from its resource: declared on a delta reconnect, or to be sent again. */
class Known {
  readonly version: string | undefined;
  readonly resource: EncodedResource | undefined;
  constructor(version: string | undefined, resource: EncodedResource | undefined) {
    this.version = version;
    this.resource = resource;
  }
}

/** An override of the base: held, known, or (null) not held although the base has it. */
type Entry = EncodedResource | Known | null;

const EMPTY: readonly EncodedResource[] = Object.freeze([]);
const indexes = new WeakMap<readonly EncodedResource[], ReadonlyMap<string, EncodedResource>>();

/** Name → resource of a shared list, built once per list. */
function indexOf(list: readonly EncodedResource[]): ReadonlyMap<string, EncodedResource> {
  let index = indexes.get(list);
  if (!index) indexes.set(list, (index = new Map(list.map((r) => [r.name, r]))));
  return index;
}

/** Whether every name of `a` is in `b`; pairs of shared lists are judged once. */
const covered = new WeakMap<object, WeakMap<object, boolean>>();
function covers(
  b: readonly EncodedResource[],
  a: ReadonlyMap<string, EncodedResource>,
  bIndex: ReadonlyMap<string, EncodedResource>,
): boolean {
  let byB = covered.get(a);
  let known = byB?.get(b);
  if (known === undefined) {
    known = true;
    for (const name of a.keys()) if (!bIndex.has(name)) known = false;
    if (!byB) covered.set(a, (byB = new WeakMap()));
    byB.set(b, known);
  }
  return known;
}

const versionOf = (e: Entry | undefined): string | undefined => e?.version;
const resourceOf = (e: Entry | undefined): EncodedResource | undefined =>
  e instanceof Known ? e.resource : (e ?? undefined);

export class HeldResources {
  #base: readonly EncodedResource[] = EMPTY;
  #index: ReadonlyMap<string, EncodedResource> = new Map();
  #over = new Map<string, Entry>();
  /** An override changed a name of the base: the base is no longer held whole. */
  #touched = false;

  /** A list whose every resource the proxy holds at that version (an equal list needs no look-up). */
  get whole(): readonly EncodedResource[] | undefined {
    return this.#touched || this.#base === EMPTY ? undefined : this.#base;
  }

  #entry(name: string): Entry | undefined {
    const e = this.#over.get(name);
    return e === undefined ? this.#index.get(name) : e;
  }

  #set(name: string, e: Entry): void {
    const base = this.#index.get(name);
    if (base !== undefined) {
      if (e === base) {
        this.#over.delete(name);
        return;
      }
      this.#touched = true;
    } else if (e === null) {
      this.#over.delete(name);
      return;
    }
    this.#over.set(name, e);
  }

  /** The version the proxy holds (sent, or declared on reconnect). */
  version(name: string): string | undefined {
    return versionOf(this.#entry(name));
  }

  resource(name: string): EncodedResource | undefined {
    return resourceOf(this.#entry(name));
  }

  /** The proxy was sent `r` (or declared its version). */
  hold(r: EncodedResource): void {
    this.#set(r.name, r);
  }

  /** Delta reconnect: the proxy says it has this version (xds_protocol#reconnect). */
  declare(name: string, version: string): void {
    this.#set(name, new Known(version, undefined));
  }

  /** Newly requested again: send it even if sent before; the proxy still holds the resource. */
  forgetVersion(name: string): void {
    const r = this.resource(name);
    if (r) this.#set(name, new Known(undefined, r));
    else this.drop(name);
  }

  drop(name: string): void {
    this.#set(name, null);
  }

  /**
   * The proxy got `list` in full (a SotW answer that was not scoped). It
   * still holds what it held of other names: SotW does not announce removals.
   */
  rebase(list: readonly EncodedResource[]): void {
    if (list === this.#base && this.#over.size === 0) return;
    const index = indexOf(list);
    const keep = new Map<string, Entry>();
    if (!covers(list, this.#index, index))
      for (const [name, r] of this.#index)
        if (!index.has(name) && !this.#over.has(name)) keep.set(name, r);
    for (const [name, e] of this.#over) if (e !== null && !index.has(name)) keep.set(name, e);
    this.#base = list;
    this.#index = index;
    this.#over = keep;
    this.#touched = false;
  }

  /** Every name the proxy holds or declared (a copy: callers drop names while they go). */
  names(): string[] {
    const out: string[] = [];
    for (const name of this.#index.keys()) if (!this.#over.has(name)) out.push(name);
    for (const [name, e] of this.#over) if (e !== null) out.push(name);
    return out;
  }

  /** How many names have a version the proxy holds; no allocation (counted on every delta push). */
  versionCount(): number {
    return this.#count(versionOf);
  }

  /** How many resources the proxy holds (syncz); no allocation. */
  resourceCount(): number {
    return this.#count(resourceOf);
  }

  /** Names whose entry has `field`: the base's (every one has a version and a resource) adjusted by the overrides. */
  #count(field: (e: Entry | undefined) => unknown): number {
    let n = this.#index.size;
    for (const [name, e] of this.#over) {
      if (this.#index.has(name)) n--;
      if (field(e) !== undefined) n++;
    }
    return n;
  }

  /** The resources the proxy holds (config_dump). */
  resources(): EncodedResource[] {
    const out: EncodedResource[] = [];
    for (const name of this.names()) {
      const r = this.resource(name);
      if (r) out.push(r);
    }
    return out;
  }
}
