// The admin server's error catalogue.

export type AdminErrorCode =
  /** A query parameter the endpoint cannot use (bad regex, unknown resource field, bad level). */
  'PETREL_ADMIN_QUERY';

export class AdminError extends Error {
  readonly code: AdminErrorCode;
  /** The HTTP status to answer with. */
  readonly status: number;
  constructor(code: AdminErrorCode, status: number, message: string) {
    super(message);
    this.name = 'AdminError';
    this.code = code;
    this.status = status;
  }
}
