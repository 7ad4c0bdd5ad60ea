// anyOf/oneOf/allOf, which zod emits for unions and intersections, rewritten
// into the one structural shape each has (structural schemas allow no types
// inside junctors).
import { CrdError } from './errors.ts';
import type { OpenApiSchema } from './structural.ts';

/**
 * anyOf/oneOf/allOf have no structural form with types inside them. The forms
 * that matter have a faithful equivalent: integer|string is Kubernetes'
 * int-or-string, a union or intersection of objects becomes one object with every
 * property (required only where all members require it, or any member for allOf;
 * exclusivity is left to CEL rules and the webhook). Anything else is refused.
 */
export function mergeJunctor(
  node: OpenApiSchema,
  junctor: 'anyOf' | 'oneOf' | 'allOf',
  path: string,
): OpenApiSchema {
  const members = (node[junctor] as OpenApiSchema[]).filter((m) => m.type !== 'null');
  const nullable = members.length !== (node[junctor] as unknown[]).length || node.nullable === true;
  const rest: OpenApiSchema = { ...node };
  delete rest[junctor];
  if (nullable) rest.nullable = true;
  if (members.length === 1) return { ...rest, ...members[0] };
  const types = new Set(members.map((m) => m.type));
  if (types.size === 2 && types.has('integer') && types.has('string') && junctor !== 'allOf') {
    return { ...pick(rest, ['description', 'nullable']), 'x-kubernetes-int-or-string': true };
  }
  if (
    types.size === 1 &&
    types.has('string') &&
    junctor !== 'allOf' &&
    members.every((m) => Array.isArray(m.enum) || m.const !== undefined)
  ) {
    return {
      ...rest,
      type: 'string',
      enum: members.flatMap((m) => (m.const !== undefined ? [m.const] : (m.enum as unknown[]))),
    };
  }
  if ([...types].every((t) => t === 'object')) {
    const properties: Record<string, OpenApiSchema> = {};
    for (const m of members) {
      for (const [name, child] of Object.entries(
        (m.properties as Record<string, OpenApiSchema>) ?? {},
      ))
        properties[name] ??= child;
    }
    const requiredSets = members.map((m) => new Set((m.required as string[] | undefined) ?? []));
    const required = Object.keys(properties).filter((name) =>
      junctor === 'allOf'
        ? requiredSets.some((s) => s.has(name))
        : requiredSets.every((s) => s.has(name)),
    );
    const merged: OpenApiSchema = { ...rest, type: 'object', properties };
    if (required.length > 0) merged.required = required;
    return merged;
  }
  fail(path, `${junctor} of ${[...types].join(', ')} has no structural form`);
}

function pick(node: OpenApiSchema, keys: readonly string[]): OpenApiSchema {
  return Object.fromEntries(keys.filter((k) => node[k] !== undefined).map((k) => [k, node[k]]));
}

function fail(path: string, what: string): never {
  throw new CrdError('PETREL_CRD_UNSUPPORTED_SCHEMA', `${path}: ${what}`);
}
