// IST0106 / PTR0001 / PTR0002: what admission said about each object, as
// messages. Rejected objects (IST0106) never reach pilot's store, so nothing
// else is analysed about them; fields Petrel accepts but does not act on
// (PTR0001) are valid Istio, reported so nothing is silently ignored.
// Problems of a file rather than an object (YAML syntax, unknown kinds) are not
// messages: the command reports them as files that could not be parsed.
import { MESSAGES } from '../messages.ts';
import type { Analyzer, LoadProblem } from '../types.ts';

const AS_MESSAGE = {
  PETREL_CONFIG_INVALID: MESSAGES.SchemaValidationError,
  PETREL_CONFIG_UNSUPPORTED: MESSAGES.NotImplementedByPetrel,
  PETREL_CONFIG_DUPLICATE: MESSAGES.DuplicateResource,
} as const;

/** Whether analysis reports this load problem as a message (else it is a file that could not be read). */
export function isReportedAsMessage(p: LoadProblem): boolean {
  return p.resource !== undefined && p.code in AS_MESSAGE;
}

export const schemaAnalyzer: Analyzer = {
  name: 'schema.ValidationAnalyzer',
  description: 'Reports what validation found in each resource',
  analyze(ctx) {
    for (const p of ctx.problems) {
      if (!isReportedAsMessage(p)) continue;
      const type = AS_MESSAGE[p.code as keyof typeof AS_MESSAGE];
      ctx.reportRef(type.make(p.detail), p.resource);
    }
  },
};
