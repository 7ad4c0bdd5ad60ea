// Structured output (-o json|yaml) for the operator commands.
import { stringify } from 'yaml';
import type { Io } from './io.ts';

export type StructuredFormat = 'json' | 'yaml';

export function printStructured(io: Io, value: unknown, format: StructuredFormat): void {
  io.out(
    format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 }),
  );
}
