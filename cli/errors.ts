// Errors the CLI reports as one line and exit code 2, without a stack trace.
export class CliError extends Error {
  readonly code = 'PETREL_CLI_USAGE';
}
