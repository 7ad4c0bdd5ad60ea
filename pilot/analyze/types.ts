// The one interface every analyzer implements, and what analysis reads and
// produces. Analyzers are pure: they read one config snapshot (and the
// PushContext pilot would build from it) and report messages; they never
// change anything.
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import type { FieldPath } from '../config/admit.ts';
import type { PushContext } from '../model/types.ts';
import type { MessageText, MessageType } from './messages.ts';
import type { ServiceCatalog } from './services.ts';

/** Where an object was read: a file and the line it starts on, with field lines when known. */
export interface ObjectOrigin {
  /** The file as the user named it; absent for objects read from the Kubernetes API. */
  file?: string;
  line?: number;
  /** The line of a field inside the object, when the source text is known. */
  lineOf?(path: FieldPath): number | undefined;
}

/** The object a message is about: Istio's `Kind namespace/name` and its file reference. */
export interface ResourceRef {
  kind: string;
  namespace?: string;
  name: string;
  file?: string;
  line?: number;
}

export interface AnalysisMessage {
  type: MessageType;
  text: string;
  resource?: ResourceRef;
}

/** A problem met while reading config, before any analyzer ran. */
export interface LoadProblem {
  severity: 'error' | 'warning';
  /** pilot/config's code (PETREL_CONFIG_INVALID, PETREL_CONFIG_UNSUPPORTED, …). */
  code: string;
  /** Without the file/line and object label: `spec.http[0].weight: must be 0..100`. */
  detail: string;
  /** The object, when the problem belongs to one. */
  resource?: ResourceRef;
  /** The file, for problems of a whole file or document. */
  file?: string;
  line?: number;
}

/** Everything one analysis run reads. */
export interface AnalysisInput {
  snapshot: ConfigSnapshot;
  /** By configKey (`kind/namespace/name`). */
  origins: ReadonlyMap<string, ObjectOrigin>;
  problems: readonly LoadProblem[];
}

export interface AnalysisContext {
  readonly snapshot: ConfigSnapshot;
  readonly push: PushContext;
  readonly services: ServiceCatalog;
  readonly problems: readonly LoadProblem[];
  /** Reports a message about `object` (its field `path` gives the line), or about nothing in particular. */
  report(message: MessageText, object?: ConfigObject, path?: FieldPath): void;
  /** Reports a message about an object known only by reference (e.g. a load problem). */
  reportRef(message: MessageText, resource: ResourceRef | undefined): void;
}

export interface Analyzer {
  /** Istio-style `area.NameAnalyzer`, shown by `petrel analyze --list-analyzers`. */
  readonly name: string;
  readonly description: string;
  analyze(ctx: AnalysisContext): void;
}
