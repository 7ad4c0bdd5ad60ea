// Reading protoc-gen-validate rules from protobufjs reflection.
//
// protobufjs 8 keeps each option statement in `parsedOptions` as nested
// objects: `[(validate.rules).string = {min_len: 1}]` becomes
// `[{ '(validate.rules)': { string: { min_len: 1 } } }]`, and message-valued
// rules like `duration = {gt {}}` become `{ duration: { gt: {} } }` (the flat
// `options` map loses those, so only parsedOptions is read). Several option
// statements on one field give several entries, merged here.

import type { Field, OneOf, Type } from 'protobufjs';

/** validate.FieldRules as parsed: one key per rule family (string, uint32, repeated, …). */
export type FieldRules = Record<string, Record<string, unknown> | undefined> & {
  message?: { required?: boolean; skip?: boolean };
};

type Parsed = {
  parsedOptions?: Record<string, unknown>[] | null;
  options?: Record<string, unknown>;
};

function deepMerge(
  into: Record<string, unknown>,
  from: Record<string, unknown>,
): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (
      cur &&
      v &&
      typeof cur === 'object' &&
      typeof v === 'object' &&
      !Array.isArray(cur) &&
      !Array.isArray(v)
    ) {
      into[k] = deepMerge({ ...(cur as Record<string, unknown>) }, v as Record<string, unknown>);
    } else {
      into[k] = v;
    }
  }
  return into;
}

function optionValue(target: Parsed, name: string): unknown {
  let merged: unknown;
  for (const entry of target.parsedOptions ?? []) {
    if (!(name in entry)) continue;
    const v = entry[name];
    merged =
      merged && typeof merged === 'object' && v && typeof v === 'object'
        ? deepMerge({ ...(merged as Record<string, unknown>) }, v as Record<string, unknown>)
        : v;
  }
  return merged ?? target.options?.[name];
}

const fieldCache = new WeakMap<Field, FieldRules | null>();

/** The field's `(validate.rules)`, or undefined when it has none. */
export function fieldRules(field: Field): FieldRules | undefined {
  let hit = fieldCache.get(field);
  if (hit === undefined) {
    const v = optionValue(field as unknown as Parsed, '(validate.rules)');
    hit = v && typeof v === 'object' ? (v as FieldRules) : null;
    fieldCache.set(field, hit);
  }
  return hit ?? undefined;
}

/** `option (validate.disabled) = true` / `(validate.ignored)`: the message is not checked. */
export function messageDisabled(type: Type): boolean {
  const t = type as unknown as Parsed;
  return (
    optionValue(t, '(validate.disabled)') === true || optionValue(t, '(validate.ignored)') === true
  );
}

/** `option (validate.required) = true` on a oneof: one member must be set. */
export function oneofRequired(oneof: OneOf): boolean {
  return optionValue(oneof as unknown as Parsed, '(validate.required)') === true;
}

/** Every rule path (`string.min_len`, `repeated.items.string.well_known_regex`, …) a FieldRules uses. */
export function rulePaths(rules: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(rules)) {
    const path = prefix ? `${prefix}.${k}` : k;
    // Bounds of durations/timestamps are messages; items/keys/values nest FieldRules.
    const nested =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      !['const', 'lt', 'lte', 'gt', 'gte', 'within'].includes(k);
    if (nested) out.push(...rulePaths(v as Record<string, unknown>, path));
    else out.push(path);
  }
  return out;
}
