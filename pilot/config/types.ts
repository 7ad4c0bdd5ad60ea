// The contract between config sources and everything after them. Sources
// (file dir, Kubernetes) only read and validate; they fill one ConfigStore.
import type { ConfigObject } from '../../api/config/object.ts';

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

/** A diagnostic about one object or file: an error rejects it, a warning only reports. */
export interface ConfigDiagnostic {
  severity: 'error' | 'warning';
  /** One line: `file: kind namespace/name: field.path: message`. */
  message: string;
}

export interface ConfigSource {
  /** Loads everything once, then keeps watching; resolves when the first full load is in the store. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Fired for every rejected object or file and every unsupported-field warning. */
  onDiagnostic(listener: (d: ConfigDiagnostic) => void): () => void;
}
