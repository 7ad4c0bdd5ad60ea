// The double's etcd: objects per resource, one revision counter for everything
// (so resourceVersions are comparable across kinds, as with etcd), and an event
// log that watches replay from. Compaction forgets the log up to now, after
// which a watch from an older resourceVersion gets 410 Gone.
import { expired } from './status.ts';

export interface KubeMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** An object as stored: no apiVersion/kind (added per request, in the version asked for). */
export interface KubeObject {
  metadata: KubeMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  rv: number;
  /** resourceId(group, plural). */
  resource: string;
  type: WatchEventType;
  object: KubeObject;
  /** The version before a MODIFIED or DELETED, for selector transitions. */
  previous?: KubeObject;
}

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class Storage {
  #rv: number;
  #compactedRv: number;
  #objects = new Map<string, Map<string, KubeObject>>();
  #log: StoredEvent[] = [];
  #subscribers = new Set<(e: StoredEvent) => void>();

  constructor(startRevision = 1000) {
    this.#rv = startRevision;
    this.#compactedRv = startRevision;
  }

  /** The latest revision: what a list reports as its resourceVersion. */
  get revision(): number {
    return this.#rv;
  }

  get compactedRevision(): number {
    return this.#compactedRv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.#objects.get(resource)?.get(objectKey(namespace, name));
    return obj && structuredClone(obj);
  }

  /** Sorted by namespace then name, as etcd's key order gives them. */
  list(resource: string, namespace?: string): KubeObject[] {
    const map = this.#objects.get(resource);
    if (!map) return [];
    return [...map.keys()]
      .sort()
      .map((k) => map.get(k)!)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .map((o) => structuredClone(o));
  }

  /** Stores a new version under the next revision and tells the watchers. */
  write(resource: string, obj: KubeObject): KubeObject {
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    let map = this.#objects.get(resource);
    if (!map) this.#objects.set(resource, (map = new Map()));
    const previous = map.get(key);
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.#rv);
    map.set(key, stored);
    this.#record({
      rv: this.#rv,
      resource,
      type: previous ? 'MODIFIED' : 'ADDED',
      object: stored,
      ...(previous ? { previous } : {}),
    });
    return structuredClone(stored);
  }

  /** Removes an object; the DELETED event carries it at the deletion's revision, as the real server does. */
  delete(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const previous = this.#objects.get(resource)?.get(key);
    if (!previous) return undefined;
    this.#objects.get(resource)!.delete(key);
    const gone = structuredClone(previous);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#record({ rv: this.#rv, resource, type: 'DELETED', object: gone, previous });
    return structuredClone(gone);
  }

  /** Forgets every event up to the current revision. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#log = [];
  }

  /** Events of `resource` after revision `rv`; 410 Gone when some of them were compacted away. */
  eventsSince(resource: string, rv: number): StoredEvent[] {
    if (rv < this.#compactedRv) {
      throw expired(`too old resource version: ${rv} (${this.#compactedRv})`);
    }
    return this.#log.filter((e) => e.resource === resource && e.rv > rv);
  }

  subscribe(listener: (e: StoredEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  #record(event: StoredEvent): void {
    this.#log.push(event);
    for (const s of [...this.#subscribers]) s(event);
  }
}
