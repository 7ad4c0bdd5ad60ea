// The CRD generator's error catalogue: one class, stable codes, one line each.

export type CrdErrorCode =
  /** A zod schema has a shape that has no structural OpenAPI form (the message names the path). */
  | 'PETREL_CRD_UNSUPPORTED_SCHEMA'
  /** An Istio kind in api/config/kinds.ts that the generator has no schema or names for. */
  | 'PETREL_CRD_UNKNOWN_KIND'
  /** A generated schema breaks Kubernetes' structural-schema rules (every problem listed). */
  | 'PETREL_CRD_NOT_STRUCTURAL'
  /** The committed CRD YAML differs from what the schemas generate now. */
  | 'PETREL_CRD_STALE';

export class CrdError extends Error {
  readonly code: CrdErrorCode;
  /** Every problem found, each `path: what`; the message joins them. */
  readonly problems: readonly string[];

  constructor(code: CrdErrorCode, problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? list[0] : `${list.length} problems: ${list.join('; ')}`);
    this.name = 'CrdError';
    this.code = code;
    this.problems = list;
  }
}
