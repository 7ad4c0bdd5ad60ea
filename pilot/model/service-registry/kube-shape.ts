// Core Kubernetes objects reach the model unvalidated (a YAML file may say
// anything), so the model reads their lists defensively and turns a surprise
// in one object into a diagnostic instead of a failed push.
import type { ModelDiagnostic } from '../errors.ts';

/** The value when it is an array, else an empty one (a list field given as a string or map). */
export function arr<T>(value: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/** Runs `fn`; an exception becomes one PETREL_MODEL_BAD_OBJECT line about `label`. */
export function guarded<T>(
  label: string,
  diagnostics: ModelDiagnostic[],
  fn: () => T,
): T | undefined {
  try {
    return fn();
  } catch (err) {
    diagnostics.push({
      code: 'PETREL_MODEL_BAD_OBJECT',
      message: `${label}: skipped: ${err instanceof Error ? err.message : String(err)}`,
    });
    return undefined;
  }
}
