// The ADS server's error catalogue: every error it raises or logs carries one
// of these stable codes, so logs and status tools can be searched by code.

export type XdsErrorCode =
  /** A proxy rejected a response (error_detail set on the request). */
  | 'PETREL_XDS_NACK'
  /** The first request's Node did not parse as an Istio proxy id. */
  | 'PETREL_XDS_BAD_NODE'
  /** A request named a type URL the server has no generator for. */
  | 'PETREL_XDS_UNKNOWN_TYPE'
  /** A generator threw, or produced a resource that does not encode. */
  | 'PETREL_XDS_GENERATE'
  /** The server was asked to do something after stop(). */
  | 'PETREL_XDS_CLOSED'
  /** The server was constructed with bad options (e.g. two generators for one type). */
  | 'PETREL_XDS_OPTIONS';

export class XdsError extends Error {
  readonly code: XdsErrorCode;
  constructor(code: XdsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'XdsError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
