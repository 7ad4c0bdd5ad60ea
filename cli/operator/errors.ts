// The operator tools' error catalogue: why a proxy-status / proxy-config call
// could not be answered. Each is printed as one line and exit code 1; bad flags
// are CliError (exit 2) as for every command.

export type OperatorErrorCode =
  /** Nothing answers at the address (refused, unresolvable, timed out). */
  | 'PETREL_OPERATOR_UNREACHABLE'
  /** The server answered with an HTTP error (the message carries its explanation). */
  | 'PETREL_OPERATOR_HTTP'
  /** The answer is not the JSON shape expected from pilot or a proxy admin. */
  | 'PETREL_OPERATOR_RESPONSE'
  /** No connected proxy has that name. */
  | 'PETREL_OPERATOR_PROXY_NOT_FOUND';

export class OperatorError extends Error {
  readonly code: OperatorErrorCode;
  constructor(code: OperatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'OperatorError';
  }
}
