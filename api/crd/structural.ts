// Converts the JSON Schema that zod 4 emits (z.toJSONSchema, OpenAPI 3.0 target)
// into the subset Kubernetes accepts in a CRD: a *structural* schema. Written by
// hand because no library maps zod's output to apiextensions.k8s.io/v1 rules:
// every node typed, no $ref, no junctors carrying types, properties and
// additionalProperties never together, and unknown fields left to the API
// server's pruning and strict field validation instead of `additionalProperties: false`.
// https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
import { CrdError } from './errors.ts';
import { mergeJunctor } from './junctors.ts';

/** A node of an OpenAPI v3 schema as a CRD carries it (JSONSchemaProps). */
export type OpenApiSchema = { [keyword: string]: unknown };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// Formats the API server knows (k8s.io/kube-openapi/pkg/validation/strfmt); others
// would be accepted and silently never checked, so they are dropped.
const KUBE_FORMATS = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
  'date-time',
  'int32',
  'int64',
  'float',
  'double',
]);

// Keywords copied as they are when the node's type allows them.
const KEEP: Record<string, readonly string[]> = {
  string: ['minLength', 'maxLength', 'pattern', 'enum'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'enum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'enum'],
  boolean: ['enum'],
  array: ['minItems', 'maxItems'],
  object: ['minProperties', 'maxProperties'],
};

// Keywords that carry nothing Kubernetes can use: `default` would be written into
// stored objects (Petrel applies Istio's defaults at translation instead), the
// rest are annotations or constraints a CRD cannot express.
const DROP = new Set([
  '$schema',
  'id',
  '$id',
  'title',
  'default',
  'examples',
  'example',
  'propertyNames',
  'uniqueItems',
  'readOnly',
  'writeOnly',
  'deprecated',
]);

/** The structural form of `root`, a zod-emitted JSON Schema; `where` prefixes error paths. */
export function toStructural(root: OpenApiSchema, where = ''): OpenApiSchema {
  return convert(root, root, where || '<root>', []);
}

function convert(
  node: OpenApiSchema,
  root: OpenApiSchema,
  path: string,
  refs: string[],
): OpenApiSchema {
  if (typeof node.$ref === 'string')
    return convert(resolveRef(node.$ref, root, path, refs), root, path, [...refs, node.$ref]);
  for (const junctor of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(node[junctor]))
      return convert(mergeJunctor(node, junctor, path), root, path, refs);
  }
  if (node.not !== undefined) fail(path, '`not` has no structural form');

  const out: OpenApiSchema = {};
  if (typeof node.description === 'string') out.description = node.description;
  if (node['x-kubernetes-int-or-string'] === true) {
    out['x-kubernetes-int-or-string'] = true;
    return out;
  }
  const type = typeOf(node, path);
  if (type === undefined) {
    // `{}`: any value (z.unknown / z.any).
    out['x-kubernetes-preserve-unknown-fields'] = true;
    copyExtensions(node, out);
    return out;
  }
  const enumValues = node.const !== undefined ? [node.const] : node.enum;
  node = openApi30Bounds(node);
  out.type = type;
  const format = formatOf(node, type);
  if (format) out.format = format;
  for (const key of KEEP[type] ?? []) {
    const value = key === 'enum' ? enumValues : node[key];
    if (value !== undefined) out[key] = value;
  }
  if (node.nullable === true) out.nullable = true;

  if (type === 'array') {
    if (node.items === undefined || Array.isArray(node.items))
      fail(path, 'an array needs one `items` schema');
    out.items = convert(node.items as OpenApiSchema, root, `${path}[]`, refs);
  } else if (type === 'object') {
    convertObject(node, out, root, path, refs);
  }
  copyExtensions(node, out);
  checkKnown(node, path);
  return out;
}

function convertObject(
  node: OpenApiSchema,
  out: OpenApiSchema,
  root: OpenApiSchema,
  path: string,
  refs: string[],
): void {
  const properties = node.properties as Record<string, OpenApiSchema> | undefined;
  const extra = node.additionalProperties;
  if (properties && Object.keys(properties).length > 0) {
    // Structural schemas forbid `additionalProperties` beside `properties`; a
    // strict object's `false` is what pruning plus strict field validation do anyway.
    if (extra !== undefined && extra !== false)
      fail(
        path,
        'an object with both properties and additionalProperties (z.looseObject/catchall) has no structural form',
      );
    const converted: Record<string, OpenApiSchema> = {};
    for (const [name, child] of Object.entries(properties))
      converted[name] = convert(child, root, `${path}.${name}`, refs);
    out.properties = converted;
    if (Array.isArray(node.required) && node.required.length > 0) out.required = node.required;
    return;
  }
  if (extra === undefined || extra === false) return; // an empty object: everything inside is pruned
  if (extra === true || isEmptySchema(extra)) {
    // A loose record (z.record(z.string(), z.unknown())): keep whatever is written.
    out['x-kubernetes-preserve-unknown-fields'] = true;
    return;
  }
  out.additionalProperties = convert(extra as OpenApiSchema, root, `${path}.*`, refs);
}

/** JSON Schema 2020's numeric exclusive bounds in OpenAPI 3.0's form (a bound plus a boolean), which is what CRDs take. */
function openApi30Bounds(node: OpenApiSchema): OpenApiSchema {
  const out = { ...node };
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof node[exclusive] === 'number') {
      out[bound] = node[exclusive];
      out[exclusive] = true;
    }
  }
  return out;
}

function typeOf(node: OpenApiSchema, path: string): string | undefined {
  let type = node.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length !== 1)
      fail(path, `a value of several types (${type.join(', ')}) has no structural form`);
    type = nonNull[0];
  }
  if (type === 'null') fail(path, 'type null has no structural form');
  if (type !== undefined) return String(type);
  const values = node.const !== undefined ? [node.const] : (node.enum as unknown[] | undefined);
  if (values?.length) {
    const kinds = new Set(
      values.map((v) =>
        typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v,
      ),
    );
    if (kinds.size === 1) return [...kinds][0];
    fail(path, 'an enum of mixed types has no structural form');
  }
  if (node.properties !== undefined || node.additionalProperties !== undefined) return 'object';
  if (node.items !== undefined) return 'array';
  return undefined;
}

/** Istio's int formats: int32 where the range fits (proto int32/uint16), int64 otherwise (uint32/int64). */
function formatOf(node: OpenApiSchema, type: string): string | undefined {
  if (type === 'integer') {
    const min = typeof node.minimum === 'number' ? node.minimum : -Infinity;
    const max = typeof node.maximum === 'number' ? node.maximum : Infinity;
    return min >= INT32_MIN && max <= INT32_MAX ? 'int32' : 'int64';
  }
  if (type === 'number') return 'double';
  if (type === 'string' && typeof node.format === 'string' && KUBE_FORMATS.has(node.format))
    return node.format;
  return undefined;
}

function resolveRef(ref: string, root: OpenApiSchema, path: string, seen: string[]): OpenApiSchema {
  // A schema that contains itself cannot be written without $ref.
  if (seen.includes(ref)) fail(path, `recursive schema ${ref} has no structural form`);
  if (!ref.startsWith('#/')) fail(path, `external $ref ${ref}`);
  let target: unknown = root;
  for (const part of ref.slice(2).split('/'))
    target = (target as Record<string, unknown> | undefined)?.[
      part.replace(/~1/g, '/').replace(/~0/g, '~')
    ];
  if (!target || typeof target !== 'object') fail(path, `unresolved $ref ${ref}`);
  return target as OpenApiSchema;
}

function copyExtensions(node: OpenApiSchema, out: OpenApiSchema): void {
  for (const [key, value] of Object.entries(node))
    if (key.startsWith('x-kubernetes-')) out[key] = value;
}

const HANDLED = new Set([
  'type',
  'description',
  'format',
  'nullable',
  'const',
  'items',
  'properties',
  'additionalProperties',
  'required',
  '$defs',
  'definitions',
  ...Object.values(KEEP).flat(),
]);

/** Refuses keywords this converter does not know, so a new zod feature never slips into a CRD unchecked. */
function checkKnown(node: OpenApiSchema, path: string): void {
  const unknown = Object.keys(node).filter(
    (k) => !HANDLED.has(k) && !DROP.has(k) && !k.startsWith('x-kubernetes-'),
  );
  if (unknown.length > 0)
    fail(path, `keyword${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not convertible`);
}

function isEmptySchema(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).every((k) => k === 'description')
  );
}

function fail(path: string, what: string): never {
  throw new CrdError('PETREL_CRD_UNSUPPORTED_SCHEMA', `${path}: ${what}`);
}
