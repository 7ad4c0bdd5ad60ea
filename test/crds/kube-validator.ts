// What the API server does with a custom object on `kubectl apply`, modelled with
// a JSON-schema validator (ajv) and a CEL evaluator (@marcbachmann/cel-js):
//  - OpenAPI schema validation of the object;
//  - unknown fields: the API server prunes them and, with kubectl's default
//    server-side field validation (Strict), refuses the request. Modelled by
//    `additionalProperties: false` on every object node that does not preserve
//    unknown fields;
//  - x-kubernetes-validations: each CEL rule evaluated with `self` bound to its node.
import { Ajv, type ValidateFunction } from 'ajv';
import { evaluate } from '@marcbachmann/cel-js';
import type { OpenApiSchema } from '../../api/crd/structural.ts';

const INT32 = 2 ** 31;

function forAjv(schema: OpenApiSchema, root: boolean): OpenApiSchema {
  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, OpenApiSchema>).map(([k, v]) => [
          k,
          forAjv(v, false),
        ]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = forAjv(value as OpenApiSchema, false);
    } else out[key] = value;
  }
  if (schema['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  if (root) {
    // Every object has the envelope fields, which CRD schemas leave implicit.
    out.properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...(out.properties as object),
    };
  }
  if (
    schema.type === 'object' &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true &&
    schema.additionalProperties === undefined
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const field = (path: string, key: string) => (path ? `${path}.${key}` : key);

function celProblems(schema: OpenApiSchema, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  for (const v of (schema['x-kubernetes-validations'] as
    Array<{ rule: string; message: string }> | undefined) ?? []) {
    let ok: unknown;
    try {
      ok = evaluate(v.rule, { self: value });
    } catch (err) {
      out.push(`${path}: CEL rule ${v.rule} failed to evaluate: ${(err as Error).message}`);
      continue;
    }
    if (ok !== true) out.push(`${path || '<root>'}: ${v.message}`);
  }
  const props = schema.properties as Record<string, OpenApiSchema> | undefined;
  if (props && typeof value === 'object') {
    for (const [k, child] of Object.entries(props))
      celProblems(child, (value as Record<string, unknown>)[k], field(path, k), out);
  }
  const extra = schema.additionalProperties;
  if (extra && typeof extra === 'object' && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      celProblems(extra as OpenApiSchema, v, field(path, k), out);
  }
  if (schema.items && Array.isArray(value))
    value.forEach((v, i) => celProblems(schema.items as OpenApiSchema, v, `${path}[${i}]`, out));
}

export interface KubeValidator {
  /** Why the API server would refuse `obj`, one line each; empty when it accepts it. */
  problems(obj: unknown): string[];
}

export function kubeValidator(openAPIV3Schema: OpenApiSchema): KubeValidator {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  const validate: ValidateFunction = ajv.compile(forAjv(openAPIV3Schema, true));
  return {
    problems(obj) {
      const out: string[] = [];
      if (!validate(obj)) {
        for (const e of validate.errors ?? []) {
          const where = e.instancePath
            .replace(/^\//, '')
            .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
            .replace(/\//g, '.');
          const extra =
            e.keyword === 'additionalProperties'
              ? `: unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`
              : `: ${e.message}`;
          out.push(`${where || '<root>'}${extra}`);
        }
      }
      celProblems(openAPIV3Schema, obj, '', out);
      return out;
    },
  };
}
