// Checks a CRD against the rules the API server applies before it accepts one
// (apiextensions-apiserver: ValidateCustomResourceDefinition and the structural
// schema rules), so a CRD that `kubectl apply` would refuse never gets written.
// https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
import type { OpenApiSchema } from './structural.ts';

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

// Every keyword JSONSchemaProps has; anything else is not part of a CRD schema.
const KNOWN = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'externalDocs',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

// In JSONSchemaProps but refused by the API server (or, for junctors, by Petrel:
// the generator never emits them, so their presence means a converter bug).
const FORBIDDEN: Record<string, string> = {
  $ref: '$ref is not supported',
  definitions: 'definitions is not supported',
  $defs: 'definitions is not supported',
  dependencies: 'dependencies is not supported',
  patternProperties: 'patternProperties is not supported',
  additionalItems: 'additionalItems is not supported',
  id: 'id is not supported',
  $schema: '$schema is not supported',
  allOf: 'junctors are not generated (refinements become x-kubernetes-validations)',
  anyOf: 'junctors are not generated (refinements become x-kubernetes-validations)',
  oneOf: 'junctors are not generated (refinements become x-kubernetes-validations)',
  not: 'junctors are not generated (refinements become x-kubernetes-validations)',
};

/** Every structural-schema problem under `schema`, each `path: what`. Empty when structural. */
export function structuralProblems(
  schema: OpenApiSchema,
  path = 'openAPIV3Schema',
  root = true,
): string[] {
  const problems: string[] = [];
  const at = (what: string) => problems.push(`${path}: ${what}`);
  for (const key of Object.keys(schema)) {
    if (FORBIDDEN[key]) at(`${key}: ${FORBIDDEN[key]}`);
    else if (!KNOWN.has(key)) at(`${key}: not a CRD schema keyword`);
  }
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const type = schema.type;
  if (type === undefined) {
    if (!intOrString && !preserve)
      at(
        'type: must not be empty (only x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields nodes may omit it)',
      );
  } else if (typeof type !== 'string' || !TYPES.has(type)) {
    at(`type: ${JSON.stringify(type)} is not one of ${[...TYPES].join(', ')}`);
  }
  if (intOrString && type !== undefined) at('x-kubernetes-int-or-string: type must be empty');
  if (schema.uniqueItems === true) at('uniqueItems: cannot be true (quadratic to check)');
  if (schema.nullable === true && root) at('nullable: cannot be true at the root');
  if (schema.default !== undefined && root) at('default: not allowed at the root');
  for (const bound of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (schema[bound] !== undefined && typeof schema[bound] !== 'boolean')
      at(`${bound}: must be a boolean (OpenAPI v3.0)`);
  }
  if (typeof schema.pattern === 'string' && /\(\?[=!<]|\\[1-9]/.test(schema.pattern))
    at('pattern: lookarounds and backreferences are not RE2');

  const properties = schema.properties as Record<string, OpenApiSchema> | undefined;
  const extra = schema.additionalProperties;
  if (extra !== undefined) {
    if (root) at('additionalProperties: must not be used at the root');
    if (properties && Object.keys(properties).length > 0)
      at('additionalProperties: additionalProperties and properties are mutually exclusive');
    if (extra === false)
      at('additionalProperties: false is not allowed (unknown fields are pruned)');
  }
  if ((properties || (extra !== undefined && extra !== true)) && type !== 'object')
    at('properties/additionalProperties: type must be object');
  if (
    type === 'array' &&
    (typeof schema.items !== 'object' || schema.items === null || Array.isArray(schema.items))
  )
    at('items: must be one schema');
  if (schema.items !== undefined && type !== 'array') at('items: type must be array');
  if (Array.isArray(schema.required)) {
    for (const name of schema.required as string[])
      if (!properties?.[name]) at(`required: ${name} is not a property`);
  }
  if (root && properties?.metadata) {
    const allowed = new Set(['name', 'generateName']);
    const meta = properties.metadata.properties as Record<string, unknown> | undefined;
    if (
      Object.keys(properties.metadata).some((k) => k !== 'type' && k !== 'properties') ||
      Object.keys(meta ?? {}).some((k) => !allowed.has(k))
    ) {
      at('properties.metadata: only name and generateName may be restricted');
    }
  }
  for (const [i, v] of (
    (schema['x-kubernetes-validations'] as Array<Record<string, unknown>> | undefined) ?? []
  ).entries()) {
    if (typeof v.rule !== 'string' || !v.rule)
      at(`x-kubernetes-validations[${i}].rule: is required`);
    else if (v.rule.includes('\n') && !v.message)
      at(`x-kubernetes-validations[${i}].message: required when the rule has line breaks`);
  }

  for (const [name, child] of Object.entries(properties ?? {}))
    problems.push(...structuralProblems(child, `${path}.properties.${name}`, false));
  if (extra && typeof extra === 'object')
    problems.push(
      ...structuralProblems(extra as OpenApiSchema, `${path}.additionalProperties`, false),
    );
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    problems.push(...structuralProblems(schema.items as OpenApiSchema, `${path}.items`, false));
  }
  return problems;
}

/** The schema node a printer column's simple JSONPath (`.spec.hosts`) points at, if the schema has it. */
export function schemaAt(schema: OpenApiSchema, jsonPath: string): OpenApiSchema | undefined {
  let node: OpenApiSchema | undefined = schema;
  for (const part of jsonPath.replace(/^\./, '').split('.')) {
    if (part === 'metadata' && node === schema) return { type: 'object' }; // implicit ObjectMeta
    if (node?.['x-kubernetes-preserve-unknown-fields'] === true) return node; // anything may be below
    node = (node?.properties as Record<string, OpenApiSchema> | undefined)?.[part];
  }
  return node;
}
