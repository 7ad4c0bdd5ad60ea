// Errors of `petrel local`, one catalogue: each is reported as one line and the mesh
// is stopped cleanly (children and namespaces) before the command exits.
export type LocalErrorCode =
  | 'PETREL_LOCAL_PLAN' // the config dir does not describe a runnable local mesh
  | 'PETREL_LOCAL_START' // a process did not start or become ready in time
  | 'PETREL_LOCAL_CAPTURE'; // network namespaces or iptables could not be set up

export class LocalError extends Error {
  readonly code: LocalErrorCode;

  constructor(code: LocalErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
