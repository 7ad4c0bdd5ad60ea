// pilot/model's error catalogue. Building a PushContext never throws on bad
// config objects (sources validated them; a malformed Kubernetes object is
// skipped and reported as a diagnostic, so one bad object never stops a push).
// Only a caller's bad options (mesh settings) throw.

export type ModelErrorCode =
  /** A mesh option has the wrong type or range (options.mesh). */
  | 'PETREL_MODEL_MESH'
  /** A Kubernetes object lacks what the model needs (a Service without ports, a port without a number, …); it is skipped. */
  | 'PETREL_MODEL_BAD_OBJECT'
  /** Two ServiceEntries (or a Service and a ServiceEntry) define the same hostname in one namespace; the older wins. */
  | 'PETREL_MODEL_HOST_CONFLICT';

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'ModelError';
  }
}

/** One line about one object: `service default/reviews: spec.ports[1].port: must be 1..65535`. */
export interface ModelDiagnostic {
  code: ModelErrorCode;
  message: string;
}
