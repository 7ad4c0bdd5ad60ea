// The contract between config sources and everything after them. Sources
// (file dir, Kubernetes) only read and validate; they fill one ConfigStore.
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigErrorCode } from './errors.ts';

export type ConfigEventType = 'add' | 'update' | 'delete';

export interface ConfigEvent {
  type: ConfigEventType;
  kind: string;
  /** `kind/namespace/name` (api/config/object.ts configKey). */
  key: string;
  object: ConfigObject;
  previous?: ConfigObject;
}

/** A read-only view of every stored object at one moment. */
export interface ConfigSnapshot {
  /** Increases with every change applied to the store. */
  readonly revision: number;
  list(kind: string, namespace?: string): readonly ConfigObject[];
  get(kind: string, namespace: string | undefined, name: string): ConfigObject | undefined;
}

export interface ConfigStore {
  snapshot(): ConfigSnapshot;
  /** Called after each change is applied; returns an unsubscribe function. */
  onChange(listener: (event: ConfigEvent) => void): () => void;
}

/** The store as sources see it: they write validated objects; an unchanged write is no event. */
export interface MutableConfigStore extends ConfigStore {
  /** Adds or replaces an object; returns the event fired, or undefined when nothing changed. */
  upsert(obj: ConfigObject): ConfigEvent | undefined;
  /** Removes an object; returns the delete event, or undefined when it was not stored. */
  remove(kind: string, namespace: string | undefined, name: string): ConfigEvent | undefined;
}

/** A diagnostic about one object or file: an error rejects it, a warning only reports. */
export interface ConfigDiagnostic {
  severity: 'error' | 'warning';
  /** One line: `file: kind namespace/name: field.path: message`. */
  message: string;
  /** Stable code from pilot/config/errors.ts, for searching logs and status. */
  code?: ConfigErrorCode;
  /**
   * What the problem belongs to: a file path (the dir as given, joined with the file),
   * `kube <Kind>/<namespace>/<name>` for an object, `kube <group|core> <plural>` for a kind.
   */
  origin?: string;
}

/** The problems currently in force, per origin (pilot's status and `petrel analyze` read it). */
export interface ConfigSourceStatus {
  /** Sorted by origin; an origin without current problems is not listed. */
  readonly origins: ReadonlyArray<{ origin: string; diagnostics: readonly ConfigDiagnostic[] }>;
  /** Count of current errors across origins (warnings not counted). */
  readonly errorCount: number;
}

export interface ConfigSource {
  /** Loads everything once, then keeps watching; resolves when the first full load is in the store. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Fired for every rejected object or file and every unsupported-field warning. */
  onDiagnostic(listener: (d: ConfigDiagnostic) => void): () => void;
  /** The current problems (errors that keep an object or file at its last good version, warnings). */
  status(): ConfigSourceStatus;
}
