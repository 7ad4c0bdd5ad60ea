// Validation of config objects: one line per problem naming kind, namespace/name
// and the field path, e.g.
//   virtualservice default/reviews: spec.http[0].route[1].weight: must be 0..100
// Errors reject the object; warnings (valid Istio that Petrel does not act on) only report.
import type { z } from 'zod';
import type { ConfigObject } from '../config/object.ts';
import { resolveKind } from '../config/kinds.ts';
import { SPEC_SCHEMAS, SPEC_WARNINGS } from './schemas.ts';
import { UNSUPPORTED_FIELDS, UNSUPPORTED_KINDS, findFields } from './unsupported.ts';

export interface ValidationResult {
  errors: string[];
  warnings: string[];
  /** The object with its spec as parsed (same data; zod output). Only meaningful when errors is empty. */
  object: ConfigObject;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `spec.http[0].route[1].weight` from zod's path array. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function issueLines(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        lines.push(`${formatPath(prefix, [...issue.path, key])}: unknown field`);
    } else if (issue.code === 'invalid_type') {
      const missing = /received undefined/.test(issue.message);
      lines.push(
        `${formatPath(prefix, issue.path)}: ${missing ? 'is required' : `must be ${article(issue.expected)}`}`,
      );
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      lines.push(...issueLines(prefix, issue.errors[0]!));
    } else {
      lines.push(`${formatPath(prefix, issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}

function article(expected: string): string {
  return expected === 'object' || expected === 'array' ? `an ${expected}` : `a ${expected}`;
}

export function objectLabel(obj: ConfigObject): string {
  const ns = obj.metadata?.namespace;
  return `${String(obj.kind).toLowerCase()} ${ns ? `${ns}/` : ''}${obj.metadata?.name ?? '<unnamed>'}`;
}

export function validateConfig(obj: ConfigObject): ValidationResult {
  const label = objectLabel(obj);
  const errors: string[] = [];
  const warnings: string[] = [];
  const info = resolveKind(String(obj.apiVersion ?? ''), String(obj.kind ?? ''));
  if (!info) {
    return {
      errors: [
        `${label}: apiVersion ${obj.apiVersion}, kind ${obj.kind}: not a kind Petrel accepts`,
      ],
      warnings,
      object: obj,
    };
  }
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || !name) errors.push(`${label}: metadata.name: is required`);
  else if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)
    errors.push(`${label}: metadata.name: must be a lowercase DNS-1123 subdomain`);
  const ns = obj.metadata?.namespace;
  if (info.namespaced && ns !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
    errors.push(`${label}: metadata.namespace: must be a lowercase DNS-1123 label`);
  }

  let object = obj;
  const schema = SPEC_SCHEMAS[info.kind];
  if (schema) {
    const parsed = schema.safeParse(obj.spec ?? {});
    if (parsed.success) {
      object = { ...obj, spec: parsed.data };
      const warn = SPEC_WARNINGS[info.kind] as ((spec: unknown) => string[]) | undefined;
      for (const line of warn?.(parsed.data) ?? []) warnings.push(`${label}: ${line}`);
    } else errors.push(...issueLines('spec', parsed.error.issues).map((l) => `${label}: ${l}`));
  }
  if (UNSUPPORTED_KINDS[info.kind])
    warnings.push(`${label}: accepted but not acted on: ${UNSUPPORTED_KINDS[info.kind]}`);
  for (const path of findFields(obj, UNSUPPORTED_FIELDS[info.kind] ?? [])) {
    warnings.push(`${label}: ${path}: not supported by Petrel yet; ignored`);
  }
  return { errors, warnings, object };
}
