// google.protobuf.Struct in the shape @grpc/proto-loader messages use (the
// Node's metadata in every DiscoveryRequest).
//
// protobufjs serves google/protobuf/struct.proto from a bundled JSON copy whose
// Value fields are camelCase (stringValue, structValue, …) even with keepCase,
// so a proto-loader message needs `{ stringValue: 'x' }`: a snake_case
// `{ string_value: 'x' }` is silently dropped on the wire. These helpers write
// the names proto-loader encodes and read either spelling.

import type { JsonValue } from './well-known.ts';

export interface LoaderStruct {
  fields: Record<string, LoaderValue>;
}
export type LoaderValue = Record<string, unknown>;

function valueFor(v: unknown): LoaderValue {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (Array.isArray(v))
    return { listValue: { values: v.filter((x) => x !== undefined).map(valueFor) } };
  if (typeof v === 'object') return { structValue: structForLoader(v as Record<string, unknown>) };
  throw new TypeError(`a ${typeof v} has no google.protobuf.Value form`);
}

/** Plain JSON → a Struct proto-loader will encode (undefined members are left out). */
export function structForLoader(json: Record<string, unknown>): LoaderStruct {
  const fields: Record<string, LoaderValue> = {};
  for (const [k, v] of Object.entries(json)) if (v !== undefined) fields[k] = valueFor(v);
  return { fields };
}

function pick(v: LoaderValue, camel: string, snake: string): unknown {
  return v[camel] !== undefined && v[camel] !== null ? v[camel] : v[snake];
}

function valueFrom(v: LoaderValue | undefined): JsonValue {
  if (!v) return null;
  const kind = typeof v['kind'] === 'string' ? (v['kind'] as string) : undefined; // set with oneofs: true
  const has = (camel: string, snake: string) =>
    kind ? kind === camel || kind === snake : pick(v, camel, snake) !== undefined;
  if (has('numberValue', 'number_value')) return Number(pick(v, 'numberValue', 'number_value'));
  if (has('stringValue', 'string_value')) return String(pick(v, 'stringValue', 'string_value'));
  if (has('boolValue', 'bool_value')) return Boolean(pick(v, 'boolValue', 'bool_value'));
  if (has('structValue', 'struct_value'))
    return structFromLoader(pick(v, 'structValue', 'struct_value') as LoaderStruct);
  if (has('listValue', 'list_value')) {
    const list = pick(v, 'listValue', 'list_value') as { values?: LoaderValue[] } | undefined;
    return (list?.values ?? []).map(valueFrom);
  }
  return null;
}

/** A Struct as proto-loader decodes it (either spelling) → plain JSON. */
export function structFromLoader(struct: Partial<LoaderStruct> | undefined | null): {
  [key: string]: JsonValue;
} {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(struct?.fields ?? {})) out[k] = valueFrom(v);
  return out;
}
