// The zod → structural OpenAPI converter and the structural-rule checker, on
// small schemas: each rule the API server applies is caught, each zod shape that
// has a structural form gets the right one, and the rest are refused by name.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { structuralProblems } from '../../api/crd/check-structural.ts';
import { specSchema } from '../../api/crd/crds.ts';
import { CrdError } from '../../api/crd/errors.ts';
import { toStructural, type OpenApiSchema } from '../../api/crd/structural.ts';

const convert = (schema: z.ZodType) => specSchema('T', schema, new Map(), new Set());
const root = (spec: OpenApiSchema): OpenApiSchema => ({ type: 'object', properties: { spec } });

function refusal(fn: () => unknown): CrdError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CrdError) return err;
    throw err;
  }
  throw new Error('expected a CrdError');
}

describe('structuralProblems', () => {
  it('accepts a typed tree, int-or-string and preserved nodes', () => {
    expect(
      structuralProblems(
        root({
          type: 'object',
          properties: {
            a: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } },
            b: { 'x-kubernetes-int-or-string': true },
            c: { 'x-kubernetes-preserve-unknown-fields': true },
            d: { type: 'object', additionalProperties: { type: 'integer', format: 'int32' } },
          },
          required: ['a'],
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'a node without a type',
      { type: 'object', properties: { a: {} } },
      'spec.properties.a: type: must not be empty',
    ],
    [
      '$ref',
      { type: 'object', properties: { a: { $ref: '#/x', type: 'string' } } },
      '$ref: $ref is not supported',
    ],
    [
      'properties with additionalProperties',
      {
        type: 'object',
        properties: { a: { type: 'string' } },
        additionalProperties: { type: 'string' },
      },
      'mutually exclusive',
    ],
    [
      'additionalProperties: false',
      { type: 'object', additionalProperties: false },
      'false is not allowed',
    ],
    ['uniqueItems', { type: 'array', items: { type: 'string' }, uniqueItems: true }, 'uniqueItems'],
    ['an array without items', { type: 'array' }, 'items: must be one schema'],
    [
      'oneOf',
      { type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ required: ['a'] }] },
      'oneOf: junctors',
    ],
    ['a type outside OpenAPI', { type: 'null' }, 'type: "null"'],
    [
      'int-or-string with a type',
      { type: 'string', 'x-kubernetes-int-or-string': true },
      'type must be empty',
    ],
    ['a numeric exclusive bound', { type: 'integer', exclusiveMinimum: 3 }, 'must be a boolean'],
    ['a lookahead pattern', { type: 'string', pattern: '^(?!x)' }, 'not RE2'],
    [
      'required without the property',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] },
      'required: b',
    ],
    ['an unknown keyword', { type: 'string', const: 'x' }, 'const: not a CRD schema keyword'],
    [
      'a multi-line CEL rule without message',
      { type: 'object', 'x-kubernetes-validations': [{ rule: 'true\n&& true' }] },
      'message: required',
    ],
  ])('refuses %s', (_name, spec, problem) => {
    const problems = structuralProblems(root(spec as OpenApiSchema));
    expect(problems.join('\n')).toContain(problem);
  });

  it('refuses additionalProperties and restrictions on metadata other than name at the root', () => {
    expect(
      structuralProblems({ type: 'object', additionalProperties: { type: 'string' } }),
    ).toEqual(['openAPIV3Schema: additionalProperties: must not be used at the root']);
    expect(
      structuralProblems({
        type: 'object',
        properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } },
      }),
    ).toEqual([
      'openAPIV3Schema: properties.metadata: only name and generateName may be restricted',
    ]);
  });
});

describe('toStructural (via z.toJSONSchema)', () => {
  it('drops additionalProperties: false of strict objects and keeps required', () => {
    expect(convert(z.strictObject({ a: z.string(), b: z.boolean().optional() }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'boolean' } },
      required: ['a'],
    });
  });

  it('turns a loose record into preserve-unknown-fields and a typed record into additionalProperties', () => {
    expect(convert(z.record(z.string(), z.unknown()))).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(convert(z.record(z.string(), z.string()))).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
  });

  it('gives integers int32 or int64 by range and numbers double', () => {
    const s = convert(
      z.strictObject({
        p: z.number().int().min(1).max(65535),
        w: z.number().int().min(0).max(4294967295),
        f: z.number(),
      }),
    );
    expect(s.properties).toEqual({
      p: { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
      w: { type: 'integer', format: 'int64', minimum: 0, maximum: 4294967295 },
      f: { type: 'number', format: 'double' },
    });
  });

  it('makes integer|string an int-or-string and merges a union of objects', () => {
    expect(convert(z.union([z.number().int(), z.string()]))).toEqual({
      'x-kubernetes-int-or-string': true,
    });
    expect(
      convert(
        z.union([
          z.strictObject({ a: z.string(), c: z.string() }),
          z.strictObject({ b: z.number(), c: z.string() }),
        ]),
      ),
    ).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string' },
        c: { type: 'string' },
        b: { type: 'number', format: 'double' },
      },
      required: ['c'],
    });
  });

  it('turns a literal into a one-value enum and a string union of enums into one enum', () => {
    expect(convert(z.literal('A'))).toEqual({ type: 'string', enum: ['A'] });
    expect(convert(z.union([z.enum(['A', 'B']), z.literal('C')]))).toEqual({
      type: 'string',
      enum: ['A', 'B', 'C'],
    });
  });

  it('inlines shared definitions and drops defaults', () => {
    const shared = z.strictObject({ n: z.string().default('x') }).meta({ id: 'Shared' });
    const s = convert(z.strictObject({ a: shared, b: shared }));
    expect(s.properties).toEqual({
      a: { type: 'object', properties: { n: { type: 'string' } } },
      b: { type: 'object', properties: { n: { type: 'string' } } },
    });
    expect(structuralProblems(root(s))).toEqual([]);
  });

  it('refuses, naming the path, what has no structural form', () => {
    type Tree = { children?: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() =>
      z.strictObject({ children: z.array(tree).optional() }),
    );
    expect(refusal(() => convert(z.strictObject({ t: tree }))).message).toMatch(
      /^T\.spec\.t.*recursive schema/,
    );
    expect(
      refusal(() => convert(z.strictObject({ a: z.union([z.string(), z.boolean()]) }))).message,
    ).toBe('T.spec.a: anyOf of string, boolean has no structural form');
    expect(refusal(() => convert(z.looseObject({ a: z.string() }))).code).toBe(
      'PETREL_CRD_UNSUPPORTED_SCHEMA',
    );
    expect(
      refusal(() => toStructural({ type: 'string', contentEncoding: 'base64' }, 'X')).message,
    ).toBe('X: keyword contentEncoding not convertible');
  });
});
