// Petrel's object form → protobuf bytes, strictly.
//
// protobufjs's fromObject silently drops unknown keys, coerces wrong types
// (`"abc" | 0`) and ignores unknown enum names, so every value is checked here
// against its field's declared type first, each problem reported with its full
// path. Only an object with no problems is handed to protobufjs to encode.

import protobuf from 'protobufjs';
import type { Field, Type } from 'protobufjs';
import { BAD, BASE64, enumValue, scalar, want } from './encode-values.ts';
import { findType, shortName, structValueKeys } from './root.ts';
import { isPlainObject, parseDuration, parseTimestamp } from './well-known.ts';
import type { PackedAny } from './types.ts';

type Problems = string[];
type Out = unknown;

const MAX_DEPTH = 100;

/** Names that get special (proto3 JSON) forms instead of their message fields. */
export const WKT = {
  Any: '.google.protobuf.Any',
  Duration: '.google.protobuf.Duration',
  Timestamp: '.google.protobuf.Timestamp',
  Struct: '.google.protobuf.Struct',
  Value: '.google.protobuf.Value',
  ListValue: '.google.protobuf.ListValue',
} as const;
const SPECIAL = new Set<string>(Object.values(WKT));

// protobufjs recomputes `fullName` on every read (walks the parents, joins an
// array); encoding asks for it per message and per field, so it is read once
// per Type here. Types never move once the root is resolved.
const fullNames = new WeakMap<Type, string>();
const specials = new WeakMap<Type, boolean>();

/** `type.fullName`, memoised per Type. */
export function typeFullName(type: Type): string {
  let name = fullNames.get(type);
  if (name === undefined) {
    name = type.fullName;
    fullNames.set(type, name);
  }
  return name;
}

export function isSpecialForm(type: Type): boolean {
  let special = specials.get(type);
  if (special === undefined) {
    special = SPECIAL.has(typeFullName(type));
    specials.set(type, special);
  }
  return special;
}

function jsonToValue(v: unknown, at: string, problems: Problems, depth: number): Out {
  if (depth > MAX_DEPTH) return want(problems, at, 'JSON nested less deeply', v);
  const key = structValueKeys();
  if (v === null) return { [key.null]: 0 };
  if (typeof v === 'boolean') return { [key.bool]: v };
  if (typeof v === 'string') return { [key.string]: v };
  if (typeof v === 'number')
    return Number.isFinite(v) ? { [key.number]: v } : want(problems, at, 'a finite number', v);
  if (Array.isArray(v)) return { [key.list]: jsonToList(v, at, problems, depth) };
  if (isPlainObject(v)) return { [key.struct]: jsonToStruct(v, at, problems, depth) };
  return want(problems, at, 'a JSON value', v);
}

function jsonToList(v: unknown[], at: string, problems: Problems, depth: number): Out {
  return { values: v.map((item, i) => jsonToValue(item, `${at}[${i}]`, problems, depth + 1)) };
}

function jsonToStruct(
  v: Record<string, unknown>,
  at: string,
  problems: Problems,
  depth: number,
): Out {
  const fields = Object.entries(v)
    .filter(([, item]) => item !== undefined)
    .map(([k, item]) => [k, jsonToValue(item, `${at}[${JSON.stringify(k)}]`, problems, depth + 1)]);
  return { fields: Object.fromEntries(fields) };
}

function specialForm(type: Type, v: unknown, at: string, problems: Problems, depth: number): Out {
  switch (typeFullName(type)) {
    case WKT.Duration: {
      const d = typeof v === 'string' ? parseDuration(v) : undefined;
      return d ?? want(problems, at, 'a duration string like "1s" or "0.250s"', v);
    }
    case WKT.Timestamp: {
      const t = typeof v === 'string' ? parseTimestamp(v) : undefined;
      return t ?? want(problems, at, 'an RFC 3339 timestamp like "2024-05-01T12:00:00Z"', v);
    }
    case WKT.Struct:
      return isPlainObject(v)
        ? jsonToStruct(v, at, problems, depth)
        : want(problems, at, 'a JSON object', v);
    case WKT.ListValue:
      return Array.isArray(v)
        ? jsonToList(v, at, problems, depth)
        : want(problems, at, 'a JSON array', v);
    case WKT.Value:
      return jsonToValue(v, at, problems, depth);
    default: {
      const any = packInlineAny(v, at, problems, depth);
      return any === BAD ? BAD : any;
    }
  }
}

function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function fieldValue(field: Field, v: unknown, at: string, problems: Problems, depth: number): Out {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return enumValue(rt, v, at, problems);
  if (rt instanceof protobuf.Type) return messageValue(rt, v, at, problems, depth + 1);
  return scalar(field.type, v, at, problems);
}

function mapKeyOk(keyType: string, key: string): boolean {
  if (keyType === 'string') return true;
  if (keyType === 'bool') return key === 'true' || key === 'false';
  const unsigned = keyType.startsWith('u') || keyType.startsWith('fixed');
  return (unsigned ? /^\d+$/ : /^-?\d+$/).test(key);
}

/** Converts one message (not its '@type'); BAD when a problem was recorded inside. */
export function messageValue(
  type: Type,
  v: unknown,
  at: string,
  problems: Problems,
  depth: number,
): Out {
  if (depth > MAX_DEPTH) {
    problems.push(`${at}: nested more than ${MAX_DEPTH} messages deep`);
    return BAD;
  }
  const before = problems.length;
  if (isSpecialForm(type)) {
    const special = specialForm(type, v, at, problems, depth);
    return problems.length === before ? special : BAD;
  }
  if (!isPlainObject(v)) return want(problems, at, `an object (${type.fullName.slice(1)})`, v);
  const out: Record<string, unknown> = {};
  const oneofSeen = new Map<string, string[]>();
  for (const [key, raw] of Object.entries(v)) {
    const field = type.fields[key];
    if (!field) {
      const snake = camelToSnake(key);
      const hint = snake !== key && type.fields[snake] ? ` (did you mean "${snake}"?)` : '';
      problems.push(`${at}: unknown field ${JSON.stringify(key)}${hint}`);
      continue;
    }
    // undefined and null mean "not set" (null as in proto3 JSON), except in a Value.
    if (raw === undefined) continue;
    const rt = field.resolvedType;
    if (raw === null && !(rt instanceof protobuf.Type && typeFullName(rt) === WKT.Value)) continue;
    const here = `${at}.${key}`;
    if (field.partOf)
      oneofSeen.set(field.partOf.name, [...(oneofSeen.get(field.partOf.name) ?? []), key]);
    if (field.map) {
      if (!isPlainObject(raw)) {
        want(problems, here, 'an object (map)', raw);
        continue;
      }
      const keyType = (field as unknown as { keyType: string }).keyType;
      const entries: [string, unknown][] = [];
      for (const [k, item] of Object.entries(raw)) {
        const at2 = `${here}[${JSON.stringify(k)}]`;
        if (!mapKeyOk(keyType, k)) problems.push(`${at2}: map key is not a ${keyType}`);
        else if (item === undefined || item === null)
          problems.push(`${at2}: map value must not be ${String(item)}`);
        else entries.push([k, fieldValue(field, item, at2, problems, depth)]);
      }
      out[key] = Object.fromEntries(entries);
    } else if (field.repeated) {
      if (!Array.isArray(raw)) {
        want(problems, here, 'an array', raw);
        continue;
      }
      out[key] = raw.map((item, i) =>
        item === undefined || item === null
          ? (problems.push(`${here}[${i}]: list element must not be ${String(item)}`), BAD)
          : fieldValue(field, item, `${here}[${i}]`, problems, depth),
      );
    } else {
      out[key] = fieldValue(field, raw, here, problems, depth);
    }
  }
  for (const [name, keys] of oneofSeen) {
    if (keys.length > 1)
      problems.push(
        `${at}: oneof "${name}" has ${keys.length} fields set (${keys.join(', ')}); set one`,
      );
  }
  return problems.length === before ? out : BAD;
}

/**
 * `{ '@type': url, ...fields }` → a packed Any. Well-known types inside an Any
 * take proto3 JSON's `{ '@type': url, value: <form> }`. A type the registry does
 * not know can only travel opaque, as `{ '@type': url, '@value': base64 }` (the
 * form decoding gives it).
 */
export function packInlineAny(
  v: unknown,
  at: string,
  problems: Problems,
  depth: number,
): PackedAny | typeof BAD {
  if (!isPlainObject(v))
    return want(problems, at, 'an object with "@type" (google.protobuf.Any)', v);
  const url = v['@type'];
  if (typeof url !== 'string' || url === '') {
    problems.push(
      `${at}: "@type" is required (a type URL like type.googleapis.com/envoy.config.cluster.v3.Cluster)`,
    );
    return BAD;
  }
  if (!url.includes('/')) {
    problems.push(
      `${at}: "@type" ${JSON.stringify(url)} is not a type URL (want type.googleapis.com/${url})`,
    );
    return BAD;
  }
  const { '@type': _type, ...rest } = v;
  const type = findType(url);
  if (!type) {
    const opaque = rest['@value'];
    if (Object.keys(rest).length === 1 && typeof opaque === 'string' && BASE64.test(opaque)) {
      return { type_url: url, value: Buffer.from(opaque, 'base64') };
    }
    problems.push(`${at}: unknown type ${JSON.stringify(url)} in "@type"`);
    return BAD;
  }
  let body: unknown = rest;
  if (isSpecialForm(type)) {
    const extra = Object.keys(rest).filter((k) => k !== 'value');
    if (extra.length > 0) {
      problems.push(
        `${at}: ${type.fullName.slice(1)} inside an Any takes only "value", not ${extra.map((k) => JSON.stringify(k)).join(', ')}`,
      );
      return BAD;
    }
    body = rest['value'];
  }
  const converted = messageValue(type, body, at, problems, depth + 1);
  if (converted === BAD) return BAD;
  try {
    return {
      type_url: url,
      value: type.encode(type.fromObject(converted as Record<string, unknown>)).finish(),
    };
  } catch (err) {
    problems.push(`${at}: ${err instanceof Error ? err.message : String(err)}`);
    return BAD;
  }
}

/** Encodes a resource; the problems list is empty on success. */
export function packResource(resource: unknown): { packed?: PackedAny; problems: string[] } {
  const problems: string[] = [];
  const url = isPlainObject(resource) ? resource['@type'] : undefined;
  const type = typeof url === 'string' ? findType(url) : undefined;
  const at = type ? shortName(type) : typeof url === 'string' ? url : '(resource)';
  const packed = packInlineAny(resource, at, problems, 0);
  return packed === BAD ? { problems } : { packed, problems };
}
