// The injector's error catalogue: one class, stable codes, one line each.

export type InjectorErrorCode =
  /** A pod annotation the injector reads has a bad value (the message names the annotation). */
  | 'PETREL_INJECT_ANNOTATION'
  /** The request is not an AdmissionReview the injector can answer (bad JSON, kind, uid). */
  | 'PETREL_INJECT_REVIEW'
  /** The request body is larger than the injector accepts. */
  | 'PETREL_INJECT_BODY_TOO_LARGE'
  /** The serving certificate or key cannot be loaded or generated. */
  | 'PETREL_INJECT_TLS'
  /** A webhook configuration cannot be read or patched in the Kubernetes API. */
  | 'PETREL_INJECT_WEBHOOK_CONFIG'
  /** A bad option given to the injector (revision, image, port, …). */
  | 'PETREL_INJECT_OPTION';

export class InjectorError extends Error {
  readonly code: InjectorErrorCode;
  constructor(code: InjectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InjectorError';
    this.code = code;
  }
}

/** The message of anything thrown, on one line. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}
