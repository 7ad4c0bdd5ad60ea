// The agent's error catalogue: one class, stable codes, one line each.

export type AgentErrorCode =
  /** A resource in an xDS response failed to decode or validate, or the data plane refused it. */
  | 'PETREL_XDS_NACK'
  /** The node identity cannot be built from the options and environment. */
  | 'PETREL_AGENT_IDENTITY'
  /** A listening port (health, status, admin) could not be bound. */
  | 'PETREL_AGENT_LISTEN'
  /** A bad option passed to the agent (address, timeout, …). */
  | 'PETREL_AGENT_OPTION';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
  }
}

/** The message of anything thrown, on one line. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}
