// Checks a resource in canonical object form against the protoc-gen-validate
// rules in Envoy's protos, the way Envoy's generated Validate() does on load:
// field rules, required oneofs, message-level disable, recursing into nested
// messages, list items, map values and (as Envoy does when it unpacks a
// typed_config) inline Anys.
//
// Like PGV: a scalar with no value is checked as its default ('' / 0), a
// message-typed rule other than `required` applies only when the message is
// set, and an unset oneof member is not checked at all.

import protobuf from 'protobufjs';
import type { Field, NamespaceBase, Type } from 'protobufjs';
import { WKT, isSpecialForm } from './encode.ts';
import { fieldRules, messageDisabled, oneofRequired, rulePaths } from './pgv-options.ts';
import type { FieldRules } from './pgv-options.ts';
import {
  checkAnyUrl,
  checkBool,
  checkBytes,
  checkDuration,
  checkEnum,
  checkNumber,
  checkString,
  checkTimestamp,
} from './pgv-scalars.ts';
import { envoyRoot, findType } from './root.ts';
import type { EnvoyResource } from './types.ts';
import { isPlainObject } from './well-known.ts';

type Obj = Record<string, unknown>;
type Rules = Record<string, unknown>;
const MAX_DEPTH = 100;

/** Wrapper message → the scalar rule family PGV applies to its `value`. */
const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

function scalarDefault(kind: string): unknown {
  if (kind === 'string' || kind === 'bytes') return '';
  if (kind === 'bool') return false;
  return 0;
}

function emit(out: string[], at: string, messages: string[], prefix = ''): void {
  for (const m of messages) out.push(`${at}: ${prefix}${m}`);
}

/** Rules of one scalar family (`kind` as in the .proto: uint32, string, …) on a value. */
function checkScalar(kind: string, rules: Rules | undefined, v: unknown): string[] {
  if (!rules) return [];
  if (kind === 'string') return checkString(rules, v as string);
  if (kind === 'bytes') return checkBytes(rules, v as string);
  if (kind === 'bool') return checkBool(rules, v as boolean);
  return checkNumber(kind, rules, v as number | string);
}

function family(rules: FieldRules | undefined, kind: string): Rules | undefined {
  return rules?.[kind] as Rules | undefined;
}

function checkInlineAny(v: Obj, at: string, out: string[], depth: number): void {
  const url = v['@type'];
  if (typeof url !== 'string' || '@value' in v) return; // opaque: nothing to look into
  const type = findType(url);
  if (!type || isSpecialForm(type)) return;
  const { '@type': _type, ...body } = v;
  checkMessage(type, body, at, out, depth + 1);
}

function required(rules: FieldRules | undefined): boolean {
  for (const k of ['message', 'duration', 'any', 'timestamp']) {
    if ((rules?.[k] as { required?: boolean } | undefined)?.required === true) return true;
  }
  return false;
}

/** A singular value (a field, a list item or a map value) against its FieldRules. */
function checkValue(
  field: Field,
  rules: FieldRules | undefined,
  v: unknown,
  present: boolean,
  at: string,
  out: string[],
  depth: number,
): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    const r = family(rules, 'enum');
    if (!r) return;
    const number = typeof v === 'string' ? rt.values[v] : ((v as number | undefined) ?? 0);
    emit(
      out,
      at,
      checkEnum(r, number ?? NaN, number !== undefined && rt.valuesById[number] !== undefined),
    );
    return;
  }
  if (rt instanceof protobuf.Type) {
    if (!present) {
      if (required(rules)) out.push(`${at}: value is required`);
      return;
    }
    switch (rt.fullName) {
      case WKT.Duration:
        emit(
          out,
          at,
          family(rules, 'duration') ? checkDuration(family(rules, 'duration')!, v as string) : [],
        );
        return;
      case WKT.Timestamp:
        emit(
          out,
          at,
          family(rules, 'timestamp')
            ? checkTimestamp(family(rules, 'timestamp')!, v as string)
            : [],
        );
        return;
      case WKT.Any:
        if (!isPlainObject(v)) return;
        if (family(rules, 'any'))
          emit(out, at, checkAnyUrl(family(rules, 'any')!, String(v['@type'])));
        checkInlineAny(v, at, out, depth);
        return;
      case WKT.Struct:
      case WKT.Value:
      case WKT.ListValue:
        return;
    }
    const wrapped = WRAPPERS[rt.fullName];
    if (wrapped) {
      const inner = (v as Obj)['value'] ?? scalarDefault(wrapped);
      emit(out, at, checkScalar(wrapped, family(rules, wrapped), inner));
      return;
    }
    if (rules?.message?.skip === true || !isPlainObject(v)) return;
    checkMessage(rt, v, at, out, depth + 1);
    return;
  }
  emit(
    out,
    at,
    checkScalar(field.type, family(rules, field.type), present ? v : scalarDefault(field.type)),
  );
}

function checkRepeated(
  field: Field,
  rules: FieldRules | undefined,
  list: unknown[],
  at: string,
  out: string[],
  depth: number,
): void {
  const r = family(rules, 'repeated');
  if (r && !(r['ignore_empty'] === true && list.length === 0)) {
    if (r['min_items'] !== undefined && list.length < Number(r['min_items'])) {
      out.push(`${at}: value must contain at least ${Number(r['min_items'])} item(s)`);
    }
    if (r['max_items'] !== undefined && list.length > Number(r['max_items'])) {
      out.push(`${at}: value must contain no more than ${Number(r['max_items'])} item(s)`);
    }
    if (r['unique'] === true) {
      const seen = new Set(list.map((x) => JSON.stringify(x)));
      if (seen.size !== list.length) out.push(`${at}: repeated value must contain unique items`);
    }
  }
  const items = r?.['items'] as FieldRules | undefined;
  list.forEach((item, i) => checkValue(field, items, item, true, `${at}[${i}]`, out, depth));
}

function checkMap(
  field: Field,
  rules: FieldRules | undefined,
  map: Obj,
  at: string,
  out: string[],
  depth: number,
): void {
  const r = family(rules, 'map');
  const entries = Object.entries(map);
  if (r && !(r['ignore_empty'] === true && entries.length === 0)) {
    if (r['min_pairs'] !== undefined && entries.length < Number(r['min_pairs'])) {
      out.push(`${at}: value must contain at least ${Number(r['min_pairs'])} pair(s)`);
    }
    if (r['max_pairs'] !== undefined && entries.length > Number(r['max_pairs'])) {
      out.push(`${at}: value must contain no more than ${Number(r['max_pairs'])} pair(s)`);
    }
  }
  const keyType = (field as unknown as { keyType: string }).keyType;
  const keyRules = r?.['keys'] as FieldRules | undefined;
  const valueRules = r?.['values'] as FieldRules | undefined;
  for (const [k, v] of entries) {
    const here = `${at}[${JSON.stringify(k)}]`;
    const key =
      keyType === 'string'
        ? k
        : keyType === 'bool'
          ? k === 'true'
          : keyType.includes('64')
            ? k
            : Number(k);
    emit(out, here, checkScalar(keyType, family(keyRules, keyType), key), 'key: ');
    checkValue(field, valueRules, v, true, here, out, depth);
  }
}

function checkMessage(type: Type, obj: Obj, at: string, out: string[], depth: number): void {
  if (depth > MAX_DEPTH || messageDisabled(type) || isSpecialForm(type)) return;
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    const present = v !== undefined && v !== null;
    // An unset oneof member (or proto3 `optional`) is not validated.
    if (field.partOf && !present) continue;
    const rules = fieldRules(field);
    const here = `${at}.${field.name}`;
    if (field.map) checkMap(field, rules, present ? (v as Obj) : {}, here, out, depth);
    else if (field.repeated)
      checkRepeated(field, rules, present ? (v as unknown[]) : [], here, out, depth);
    else checkValue(field, rules, v, present, here, out, depth);
  }
  for (const oneof of type.oneofsArray) {
    if (!oneofRequired(oneof)) continue;
    if (oneof.oneof.some((name) => obj[name] !== undefined && obj[name] !== null)) continue;
    out.push(`${at}.${oneof.name}: value is required (set one of ${oneof.oneof.join(', ')})`);
  }
}

/**
 * Every PGV violation in a resource, `Cluster.connect_timeout: value must be
 * greater than 0s`-style. The resource must be in canonical object form
 * (validateResource in registry.ts encodes and decodes first).
 */
export function checkRules(resource: EnvoyResource): string[] {
  const type = findType(String(resource['@type']));
  if (!type) return [`(resource): unknown type ${JSON.stringify(resource['@type'])} in "@type"`];
  const out: string[] = [];
  const { '@type': _type, ...body } = resource;
  checkMessage(type, body, type.name, out, 0);
  return out;
}

const SUPPORTED: Record<string, string[]> = {
  string: [
    'const',
    'len',
    'min_len',
    'max_len',
    'len_bytes',
    'min_bytes',
    'max_bytes',
    'pattern',
    'prefix',
    'suffix',
    'contains',
    'not_contains',
    'in',
    'not_in',
    'email',
    'hostname',
    'ip',
    'ipv4',
    'ipv6',
    'uri',
    'uri_ref',
    'address',
    'uuid',
    'well_known_regex',
    'strict',
    'ignore_empty',
  ],
  bytes: ['len', 'min_len', 'max_len', 'pattern', 'ip', 'ipv4', 'ipv6', 'ignore_empty'],
  bool: ['const'],
  enum: ['const', 'defined_only', 'in', 'not_in'],
  message: ['required', 'skip'],
  repeated: ['min_items', 'max_items', 'unique', 'ignore_empty'],
  map: ['min_pairs', 'max_pairs', 'ignore_empty'],
  any: ['required', 'in', 'not_in'],
  duration: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'],
  timestamp: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'lt_now', 'gt_now'],
};
for (const n of [
  'float',
  'double',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
]) {
  SUPPORTED[n] = ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'ignore_empty'];
}

function supported(path: string): boolean {
  const nested = /^(?:repeated\.items|map\.keys|map\.values)\.(.+)$/.exec(path);
  if (nested) return supported(nested[1]!);
  const [fam, rule] = path.split('.') as [string, string | undefined];
  return rule !== undefined && (SUPPORTED[fam]?.includes(rule) ?? false);
}

/**
 * Rules used somewhere in the loaded protos that this checker does not
 * implement, as `Type.field: rule.path`; empty means every rule is enforced.
 */
export function unsupportedRules(): string[] {
  const out: string[] = [];
  const walk = (ns: NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) {
        for (const field of child.fieldsArray) {
          const rules = fieldRules(field);
          if (!rules) continue;
          for (const p of rulePaths(rules))
            if (!supported(p)) out.push(`${child.fullName.slice(1)}.${field.name}: ${p}`);
        }
      }
      if (child instanceof protobuf.Namespace) walk(child); // a Type is a Namespace too
    }
  };
  walk(envoyRoot());
  return out;
}
