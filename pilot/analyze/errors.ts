// pilot/analyze's error catalogue. Problems in the analysed config are
// messages (messages.ts), never thrown, and an analyzer that fails is reported
// as IST0001 while the others still run. What is left: an analysis that cannot
// run at all.

export type AnalyzeErrorCode =
  /** The Kubernetes API could not be read completely (no kubeconfig, unreachable, forbidden). */
  'PETREL_ANALYZE_KUBE';

export class AnalyzeError extends Error {
  readonly code: AnalyzeErrorCode;
  constructor(code: AnalyzeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AnalyzeError';
  }
}
