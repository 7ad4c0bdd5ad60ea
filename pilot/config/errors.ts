// The config sources' error catalogue: every diagnostic and thrown error of
// pilot/config carries one of these stable codes, so logs, `petrel analyze` and
// pilot's status can be searched by code.

export type ConfigErrorCode =
  /** A YAML file does not parse (syntax error), or a document is not an object. */
  | 'PETREL_CONFIG_YAML'
  /** apiVersion/kind is not one Petrel accepts (api/config/kinds.ts). */
  | 'PETREL_CONFIG_UNKNOWN_KIND'
  /** The envelope is incomplete: apiVersion, kind or metadata.name missing or not a string. */
  | 'PETREL_CONFIG_ENVELOPE'
  /** api/istio/validate.ts rejected the object (the message names the field). */
  | 'PETREL_CONFIG_INVALID'
  /** Valid Istio that Petrel does not act on (a warning, never a rejection). */
  | 'PETREL_CONFIG_UNSUPPORTED'
  /** The same kind/namespace/name is defined twice (two files, or twice in one). */
  | 'PETREL_CONFIG_DUPLICATE'
  /** A file or the config directory cannot be read or watched. */
  | 'PETREL_CONFIG_IO'
  /** The Kubernetes API does not serve a kind (CRD not installed: 404 on list). */
  | 'PETREL_CONFIG_KUBE_MISSING_KIND'
  /** Listing or watching a kind failed for another reason (retried with backoff). */
  | 'PETREL_CONFIG_KUBE_WATCH'
  /** No usable kubeconfig (neither KUBECONFIG, ~/.kube/config nor in-cluster). */
  | 'PETREL_CONFIG_KUBE_CONFIG';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ConfigError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
