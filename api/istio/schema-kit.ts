// Building blocks shared by the Istio schemas. zod gives typed, strict schemas
// whose errors carry the field path, which is what our validation messages need.
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

export const int = (min = 0, max = 4294967295) =>
  z
    .number()
    .int(`must be a whole number`)
    .min(min, `must be ${min}..${max}`)
    .max(max, `must be ${min}..${max}`);

export const port = () => int(1, 65535);

/** A Go duration string ("10ms", "1.5s", "1m"); Istio requires at least 1ms for most of them. */
export const duration = (minMs = 1) =>
  z.string().refine(
    (s) => {
      const ms = parseDurationMs(s);
      return ms !== undefined && ms >= minMs;
    },
    minMs > 0
      ? `must be a duration of at least ${minMs}ms like "10ms", "1.5s" or "1m"`
      : 'must be a duration like "10ms", "1.5s" or "1m"',
  );

export const regex = () =>
  z.string().refine((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression (RE2 syntax)');

export const labels = () => z.record(z.string(), z.string());

export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `must be one of ${values.join(', ')}` });

/** Istio's oneof of string matchers: exactly one of exact, prefix, regex. */
export const StringMatch = z
  .strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: regex().optional(),
  })
  .refine((m) => [m.exact, m.prefix, m.regex].filter((v) => v !== undefined).length === 1, {
    message: 'must set exactly one of exact, prefix, regex',
  });
export type StringMatch = z.infer<typeof StringMatch>;

export const Percent = z.strictObject({
  value: z.number().min(0, 'must be 0..100').max(100, 'must be 0..100'),
});

export const PortSelector = z.strictObject({ number: port() });

/** `exportTo` entries: ".", "*", "~" or a namespace name. */
export const exportTo = () =>
  z.array(
    z
      .string()
      .regex(
        /^(\.|\*|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/,
        'must be ".", "*", "~" or a namespace name',
      ),
  );

export const WorkloadSelector = z.strictObject({ labels: labels().optional() });
