// Label and field selectors, as the API server parses them
// (k8s.io/apimachinery/pkg/labels and pkg/fields): comma-separated
// requirements, all of which must hold.
import { badRequest } from './status.ts';
import type { KubeObject } from './storage.ts';

export type Matcher = (obj: KubeObject) => boolean;

type Requirement = {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin';
  values: string[];
};

/** Splits on commas outside parentheses (`a in (x,y),b` → two requirements). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

function parseRequirement(text: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (set)
    return {
      key: set[1]!,
      op: set[2] as 'in' | 'notin',
      values: set[3]!.split(',').map((v) => v.trim()),
    };
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (cmp) return { key: cmp[1]!, op: cmp[2] === '!=' ? '!=' : '=', values: [cmp[3]!] };
  const exists = /^(!?)([^=!\s()]+)$/.exec(text);
  if (exists) return { key: exists[2]!, op: exists[1] ? '!exists' : 'exists', values: [] };
  throw badRequest(
    `unable to parse requirement: ${JSON.stringify(text)} in selector ${JSON.stringify(selector)}`,
  );
}

function holds(r: Requirement, value: string | undefined): boolean {
  switch (r.op) {
    case 'exists':
      return value !== undefined;
    case '!exists':
      return value === undefined;
    case '=':
      return value === r.values[0];
    case '!=':
      return value !== r.values[0];
    case 'in':
      return value !== undefined && r.values.includes(value);
    case 'notin':
      return value === undefined || !r.values.includes(value);
  }
}

export function labelMatcher(selector: string | null): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map((t) => parseRequirement(t, selector));
  return (obj) => reqs.every((r) => holds(r, obj.metadata.labels?.[r.key]));
}

/** Field labels each kind supports, beyond metadata.name and metadata.namespace (others are a 400, as for real). */
const FIELD_LABELS: Record<string, readonly string[]> = {
  Pod: ['spec.nodeName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  Secret: ['type'],
  Namespace: ['status.phase'],
};

export function fieldMatcher(selector: string | null, kind: string): Matcher {
  if (!selector) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[kind] ?? [])]);
  const reqs = splitTop(selector).map((t) => parseRequirement(t, selector));
  for (const r of reqs) {
    if (r.op !== '=' && r.op !== '!=')
      throw badRequest(`invalid field selector: ${JSON.stringify(selector)}`);
    if (!allowed.has(r.key)) throw badRequest(`field label not supported: ${r.key}`);
  }
  return (obj) => reqs.every((r) => holds(r, fieldValue(obj, r.key) ?? ''));
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.'))
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur === undefined || cur === null ? undefined : String(cur);
}
