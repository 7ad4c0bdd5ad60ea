// The data path's error catalogue: one place for every stable code it raises.

export const ProxyErrorCode = {
  /** A resource cannot be compiled into runtime state (bad field, bad regex, …). */
  ConfigInvalid: 'PETREL_PROXY_CONFIG_INVALID',
  /** A resource uses a feature this proxy does not implement and cannot ignore. */
  Unsupported: 'PETREL_PROXY_UNSUPPORTED',
  /** A listener's address could not be bound (in use, not permitted, …). */
  BindFailed: 'PETREL_PROXY_BIND_FAILED',
  /** An upstream connection could not be established. */
  UpstreamConnect: 'PETREL_PROXY_UPSTREAM_CONNECT',
  /** An upstream stream was reset or the connection closed before the response ended. */
  UpstreamReset: 'PETREL_PROXY_UPSTREAM_RESET',
  /** A per-try timeout fired. */
  PerTryTimeout: 'PETREL_PROXY_PER_TRY_TIMEOUT',
} as const;

export type ProxyErrorCodeValue = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

export class ProxyError extends Error {
  readonly code: ProxyErrorCodeValue;
  constructor(code: ProxyErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
  }
}
