// protobuf bytes → Petrel's object form.
//
// Walks decoded protobufjs messages by hand (rather than toObject) so that the
// output is exactly the object form: only fields present on the wire, enums by
// name, Any inline, Duration/Timestamp as proto3-JSON strings, Struct as JSON.
// Normalisation (what a round trip changes), documented in registry.ts.

import protobuf from 'protobufjs';
import type { Field, Type } from 'protobufjs';
import { EnvoyProtoError } from './errors.ts';
import { WKT, isSpecialForm } from './encode.ts';
import { findType, structValueKeys } from './root.ts';
import { formatDuration, formatTimestamp } from './well-known.ts';
import type { JsonValue } from './well-known.ts';

type Msg = Record<string, unknown>;

const WRAPPER_TYPES = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (n) => `.google.protobuf.${n}Value`,
  ),
);
const MAX_DEPTH = 100;

/** int64 as a number when it is exactly representable, else as a decimal string. */
function int64Out(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const text = String(v); // Long#toString is decimal and honours `unsigned`
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** The shortest decimal that is the same float32: 0.1f decodes as 0.10000000149011612. */
function float32Out(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

function scalarOut(kind: string, v: unknown): unknown {
  switch (kind) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int64Out(v);
    case 'float':
      return float32Out(v as number);
    case 'bytes':
      return Buffer.from(v as Uint8Array).toString('base64');
    default:
      return v;
  }
}

function has(msg: Msg, key: string): boolean {
  return (
    Object.prototype.hasOwnProperty.call(msg, key) && msg[key] !== null && msg[key] !== undefined
  );
}

function valueToJson(v: Msg): JsonValue {
  const key = structValueKeys();
  if (has(v, key.null)) return null;
  if (has(v, key.number)) return v[key.number] as number;
  if (has(v, key.string)) return v[key.string] as string;
  if (has(v, key.bool)) return v[key.bool] as boolean;
  if (has(v, key.struct)) return structToJson(v[key.struct] as Msg);
  if (has(v, key.list)) return listToJson(v[key.list] as Msg);
  return null; // a Value with no kind set: proto3 JSON has no spelling for it
}

function structToJson(s: Msg): { [key: string]: JsonValue } {
  const fields = (s['fields'] ?? {}) as Record<string, Msg>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function listToJson(l: Msg): JsonValue[] {
  return ((l['values'] ?? []) as Msg[]).map(valueToJson);
}

function secondsNanos(m: Msg): { seconds: number; nanos: number } {
  return {
    seconds: Number(int64Out(m['seconds'] ?? 0)),
    nanos: (m['nanos'] as number | undefined) ?? 0,
  };
}

function fieldOut(field: Field, v: unknown, at: string, depth: number): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? v; // unknown numbers stay numbers
  if (rt instanceof protobuf.Type) return messageOut(rt, v as Msg, at, depth + 1);
  return scalarOut(field.type, v);
}

function mapKeyOut(keyType: string, key: string): string {
  // protobufjs keys 64-bit maps by an 8-char hash when the long library is present.
  if (
    ['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(keyType) &&
    !/^-?\d+$/.test(key)
  ) {
    return String(
      int64Out(protobuf.util.longFromHash(key, keyType === 'uint64' || keyType === 'fixed64')),
    );
  }
  return key;
}

/** One decoded message in object form (without '@type'). */
export function messageOut(type: Type, msg: Msg, at: string, depth = 0): unknown {
  if (depth > MAX_DEPTH)
    throw new EnvoyProtoError(
      'PETREL_ENVOY_DECODE',
      `${at}: nested more than ${MAX_DEPTH} messages deep`,
    );
  switch (type.fullName) {
    case WKT.Duration:
      return formatDuration(secondsNanos(msg));
    case WKT.Timestamp:
      return formatTimestamp(secondsNanos(msg));
    case WKT.Struct:
      return structToJson(msg);
    case WKT.ListValue:
      return listToJson(msg);
    case WKT.Value:
      return valueToJson(msg);
    case WKT.Any:
      return unpackInlineAny(
        String(msg['type_url'] ?? ''),
        (msg['value'] as Uint8Array | undefined) ?? new Uint8Array(),
        at,
        depth,
      );
  }
  if (WRAPPER_TYPES.has(type.fullName)) {
    // A set wrapper whose value is the default has nothing on the wire inside;
    // `{ value: false }` reads as meant, `{}` would not.
    const field = type.fields['value']!;
    return {
      value: has(msg, 'value')
        ? fieldOut(field, msg['value'], at, depth)
        : scalarOut(field.type, field.typeDefault),
    };
  }
  const out: Msg = {};
  for (const field of type.fieldsArray) {
    if (!has(msg, field.name)) continue;
    const v = msg[field.name];
    const here = `${at}.${field.name}`;
    if (field.map) {
      const entries = Object.entries(v as Msg);
      if (entries.length === 0) continue;
      const keyType = (field as unknown as { keyType: string }).keyType;
      out[field.name] = Object.fromEntries(
        entries.map(([k, item]) => [
          mapKeyOut(keyType, k),
          fieldOut(field, item, `${here}[${JSON.stringify(k)}]`, depth),
        ]),
      );
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[field.name] = list.map((item, i) => fieldOut(field, item, `${here}[${i}]`, depth));
    } else {
      out[field.name] = fieldOut(field, v, here, depth);
    }
  }
  return out;
}

/**
 * A packed Any in object form: `{ '@type', ...fields }`; well-known types as
 * `{ '@type', value }`; a type the registry lacks as `{ '@type', '@value': base64 }`.
 */
export function unpackInlineAny(typeUrl: string, bytes: Uint8Array, at: string, depth = 0): Msg {
  const type = findType(typeUrl);
  if (!type) return { '@type': typeUrl, '@value': Buffer.from(bytes).toString('base64') };
  let msg: Msg;
  try {
    msg = type.decode(bytes) as unknown as Msg;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EnvoyProtoError(
      'PETREL_ENVOY_DECODE',
      `${at}: bytes do not decode as ${type.fullName.slice(1)}: ${why}`,
    );
  }
  const body = messageOut(type, msg, at, depth + 1);
  return isSpecialForm(type)
    ? { '@type': typeUrl, value: body }
    : { '@type': typeUrl, ...(body as Msg) };
}
