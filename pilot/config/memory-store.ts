// The one ConfigStore both sources fill. Objects live in one map per kind; a
// snapshot shares those maps and the store copies a kind's map before its next
// write to it (copy-on-write), so snapshot() costs one small map copy and a
// snapshot taken before a change never sees it.
import { isDeepStrictEqual } from 'node:util';
import { configKey, keyOf } from '../../api/config/object.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigEvent, ConfigSnapshot, MutableConfigStore } from './types.ts';
import { errorMessage } from './errors.ts';

type KindMap = Map<string, ConfigObject>;

export interface MemoryConfigStoreOptions {
  /** Where a listener's exception goes; the other listeners still run. Default: one line on stderr. */
  onListenerError?: (err: unknown, event: ConfigEvent) => void;
}

export class MemoryConfigStore implements MutableConfigStore {
  #kinds = new Map<string, KindMap>();
  /** Kinds whose map is referenced by a snapshot: copy it before writing. */
  #shared = new Set<string>();
  #revision = 0;
  #snapshot: MemorySnapshot | undefined;
  #listeners = new Set<(event: ConfigEvent) => void>();
  #onListenerError: (err: unknown, event: ConfigEvent) => void;

  constructor(options: MemoryConfigStoreOptions = {}) {
    this.#onListenerError =
      options.onListenerError ??
      ((err, event) =>
        process.stderr.write(
          `config store: listener failed on ${event.type} ${event.key}: ${errorMessage(err)}\n`,
        ));
  }

  get revision(): number {
    return this.#revision;
  }

  snapshot(): ConfigSnapshot {
    // Unchanged since the last snapshot: hand out the same immutable view.
    if (this.#snapshot && this.#snapshot.revision === this.#revision) return this.#snapshot;
    for (const kind of this.#kinds.keys()) this.#shared.add(kind);
    this.#snapshot = new MemorySnapshot(this.#revision, new Map(this.#kinds));
    return this.#snapshot;
  }

  onChange(listener: (event: ConfigEvent) => void): () => void {
    // Wrapped so the same function can subscribe twice and unsubscribe independently.
    const entry = (event: ConfigEvent) => listener(event);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  get(kind: string, namespace: string | undefined, name: string): ConfigObject | undefined {
    return this.#kinds.get(kind)?.get(configKey(kind, namespace, name));
  }

  upsert(obj: ConfigObject): ConfigEvent | undefined {
    const key = keyOf(obj);
    const previous = this.#kinds.get(obj.kind)?.get(key);
    if (previous && sameContent(previous, obj)) return undefined;
    const object = deepFreeze(structuredClone(obj));
    this.#writable(obj.kind).set(key, object);
    const event: ConfigEvent = previous
      ? { type: 'update', kind: obj.kind, key, object, previous }
      : { type: 'add', kind: obj.kind, key, object };
    return this.#emit(event);
  }

  remove(kind: string, namespace: string | undefined, name: string): ConfigEvent | undefined {
    const key = configKey(kind, namespace, name);
    const previous = this.#kinds.get(kind)?.get(key);
    if (!previous) return undefined;
    this.#writable(kind).delete(key);
    return this.#emit({ type: 'delete', kind, key, object: previous, previous });
  }

  #writable(kind: string): KindMap {
    let map = this.#kinds.get(kind);
    if (!map) {
      map = new Map();
      this.#kinds.set(kind, map);
    } else if (this.#shared.has(kind)) {
      map = new Map(map);
      this.#kinds.set(kind, map);
    }
    this.#shared.delete(kind);
    return map;
  }

  #emit(event: ConfigEvent): ConfigEvent {
    this.#revision++;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
    return event;
  }
}

class MemorySnapshot implements ConfigSnapshot {
  readonly revision: number;
  readonly #kinds: ReadonlyMap<string, KindMap>;
  /** Per kind, every object sorted by key: generators see a stable order. */
  readonly #sorted = new Map<string, readonly ConfigObject[]>();

  constructor(revision: number, kinds: ReadonlyMap<string, KindMap>) {
    this.revision = revision;
    this.#kinds = kinds;
  }

  list(kind: string, namespace?: string): readonly ConfigObject[] {
    let all = this.#sorted.get(kind);
    if (!all) {
      const map = this.#kinds.get(kind);
      all = map ? Object.freeze([...map.keys()].sort().map((k) => map.get(k)!)) : Object.freeze([]);
      this.#sorted.set(kind, all);
    }
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get(kind: string, namespace: string | undefined, name: string): ConfigObject | undefined {
    return this.#kinds.get(kind)?.get(configKey(kind, namespace, name));
  }
}

/**
 * Equal apart from bookkeeping the API server changes on every write
 * (resourceVersion, managedFields): such a write is not a config change.
 */
export function sameContent(a: ConfigObject, b: ConfigObject): boolean {
  return isDeepStrictEqual(withoutBookkeeping(a), withoutBookkeeping(b));
}

function withoutBookkeeping(obj: ConfigObject): unknown {
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    ...metadata
  } = obj.metadata as ConfigObject['metadata'] & {
    managedFields?: unknown;
  };
  return { ...obj, metadata };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
