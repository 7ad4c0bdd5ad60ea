// Turns one raw Kubernetes-style object (from a YAML document or the API server)
// into a stored ConfigObject, or into problems that each name the object and
// field. Both sources admit objects here, so a file and the cluster accept and
// reject exactly the same things.
import { KINDS, kindInfo, resolveKind } from '../../api/config/kinds.ts';
import { keyOf } from '../../api/config/object.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import { objectLabel, validateConfig } from '../../api/istio/validate.ts';
import type { ConfigErrorCode } from './errors.ts';

export type FieldPath = ReadonlyArray<string | number>;

export interface Problem {
  code: ConfigErrorCode;
  /** `kind namespace/name: field.path: message` (no file or line: the caller knows those). */
  message: string;
  /** The field the problem is about, inside the object, when known. */
  path?: FieldPath;
}

export interface Admission {
  /** Set when there are no errors. */
  object?: ConfigObject;
  key?: string;
  errors: Problem[];
  warnings: Problem[];
}

export interface AdmitOptions {
  /** Namespace given to namespaced objects that name none (Kubernetes' `default`). */
  defaultNamespace?: string;
}

export function admitObject(raw: unknown, options: AdmitOptions = {}): Admission {
  if (!isRecord(raw)) {
    return reject(
      'PETREL_CONFIG_YAML',
      `document is not an object (got ${raw === null ? 'null' : typeof raw})`,
    );
  }
  const { apiVersion, kind } = raw;
  const metadata = isRecord(raw.metadata) ? raw.metadata : undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const ns =
    typeof metadata?.namespace === 'string' && metadata.namespace ? `${metadata.namespace}/` : '';
  const label = `${typeof kind === 'string' ? kind.toLowerCase() : '<no kind>'} ${ns}${name ?? '<unnamed>'}`;
  if (typeof apiVersion !== 'string' || !apiVersion)
    return reject('PETREL_CONFIG_ENVELOPE', `${label}: apiVersion: is required`, ['apiVersion']);
  if (typeof kind !== 'string' || !kind)
    return reject('PETREL_CONFIG_ENVELOPE', `${label}: kind: is required`, ['kind']);
  const info = resolveKind(apiVersion, kind);
  if (!info)
    return reject(
      'PETREL_CONFIG_UNKNOWN_KIND',
      `${label}: ${unknownKindReason(apiVersion, kind)}`,
      ['kind'],
    );
  if (!metadata)
    return reject('PETREL_CONFIG_ENVELOPE', `${label}: metadata: is required`, ['metadata']);
  if (name === undefined || name === '')
    return reject('PETREL_CONFIG_ENVELOPE', `${label}: metadata.name: is required`, [
      'metadata',
      'name',
    ]);
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    return reject('PETREL_CONFIG_ENVELOPE', `${label}: metadata.namespace: must be a string`, [
      'metadata',
      'namespace',
    ]);
  }

  const meta = { ...metadata } as unknown as ConfigObject['metadata'];
  // Cluster-scoped kinds have no namespace: Kubernetes ignores one given in YAML.
  if (!info.namespaced) delete meta.namespace;
  else if (!meta.namespace) meta.namespace = options.defaultNamespace ?? 'default';
  const candidate = { ...raw, apiVersion, kind, metadata: meta } as ConfigObject;

  const result = validateConfig(candidate);
  const prefix = `${objectLabel(candidate)}: `;
  const errors = result.errors.map((m) => problem('PETREL_CONFIG_INVALID', m, prefix));
  const warnings = result.warnings.map((m) => problem('PETREL_CONFIG_UNSUPPORTED', m, prefix));
  if (errors.length > 0) return { errors, warnings };
  return { object: result.object, key: keyOf(result.object), errors, warnings };
}

function reject(code: ConfigErrorCode, message: string, path?: FieldPath): Admission {
  return { errors: [{ code, message, ...(path ? { path } : {}) }], warnings: [] };
}

function unknownKindReason(apiVersion: string, kind: string): string {
  const known = kindInfo(kind);
  if (!known) {
    const accepted = KINDS.map((k) => k.kind).join(', ');
    return `unknown kind ${kind} (apiVersion ${apiVersion}); Petrel accepts ${accepted}`;
  }
  const served = known.versions.map((v) => (known.group ? `${known.group}/${v}` : v)).join(', ');
  return `apiVersion ${apiVersion} is not served for kind ${kind} (use ${served})`;
}

/** Reads the field path a validator line names after the object label: `spec.http[0].weight: …`. */
function problem(code: ConfigErrorCode, message: string, prefix: string): Problem {
  const rest = message.startsWith(prefix) ? message.slice(prefix.length) : undefined;
  const colon = rest?.indexOf(': ') ?? -1;
  const path = rest && colon > 0 ? parseFieldPath(rest.slice(0, colon)) : undefined;
  return path ? { code, message, path } : { code, message };
}

const SEGMENT = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[["']([^"']*)["']\])/;

/** `spec.http[0].route` → ['spec', 'http', 0, 'route']; undefined when it is not a path. */
export function parseFieldPath(text: string): FieldPath | undefined {
  const out: Array<string | number> = [];
  let rest = text;
  while (rest) {
    const m = SEGMENT.exec(rest);
    if (!m || (out.length === 0 && m[0].startsWith('.'))) return undefined;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
    rest = rest.slice(m[0].length);
  }
  return out.length > 0 ? out : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
