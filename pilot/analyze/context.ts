// The context analyzers run in: the snapshot, the PushContext pilot would
// build from it, the service catalogue, and a report() that turns an object
// and a field path into Istio's `(Kind namespace/name file:line)` origin.
import { keyOf } from '../../api/config/object.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import type { FieldPath } from '../config/admit.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import type { PushContext } from '../model/types.ts';
import type { MessageText } from './messages.ts';
import type { ServiceCatalog } from './services.ts';
import type {
  AnalysisContext,
  AnalysisInput,
  AnalysisMessage,
  LoadProblem,
  ResourceRef,
} from './types.ts';

export class Context implements AnalysisContext {
  readonly snapshot: ConfigSnapshot;
  readonly push: PushContext;
  readonly services: ServiceCatalog;
  readonly problems: readonly LoadProblem[];
  readonly messages: AnalysisMessage[] = [];
  readonly #origins: AnalysisInput['origins'];

  constructor(input: AnalysisInput, push: PushContext, services: ServiceCatalog) {
    this.snapshot = input.snapshot;
    this.problems = input.problems;
    this.#origins = input.origins;
    this.push = push;
    this.services = services;
  }

  report(message: MessageText, object?: ConfigObject, path?: FieldPath): void {
    if (!object) {
      this.messages.push({ ...message });
      return;
    }
    const origin = this.#origins.get(keyOf(object));
    const resource: ResourceRef = {
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    };
    if (origin?.file) {
      resource.file = origin.file;
      resource.line = (path && origin.lineOf?.(path)) || origin.line;
    }
    this.messages.push({ ...message, resource });
  }

  reportRef(message: MessageText, resource: ResourceRef | undefined): void {
    this.messages.push(resource ? { ...message, resource } : { ...message });
  }
}
