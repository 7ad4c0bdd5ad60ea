// Checks for single values against a field's declared type, for the strict
// encoder (encode.ts): protobufjs would coerce or drop what these reject.

import type { Enum } from 'protobufjs';

/** Returned by converters when the value was bad (and a problem recorded). */
export const BAD = Symbol('bad');

const FLOAT_MAX = 3.4028234663852886e38;
export const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return 'bytes';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof v} ${String(v)}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

export function want(problems: string[], at: string, what: string, v: unknown): typeof BAD {
  problems.push(`${at}: expected ${what}, got ${describe(v)}`);
  return BAD;
}

const INT64_RANGE: Record<string, [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

export function scalar(kind: string, v: unknown, at: string, problems: string[]): unknown {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? v : want(problems, at, 'a string', v);
    case 'bool':
      return typeof v === 'boolean' ? v : want(problems, at, 'a boolean', v);
    case 'double':
      return typeof v === 'number' ? v : want(problems, at, 'a number', v);
    case 'float':
      if (typeof v !== 'number') return want(problems, at, 'a number', v);
      return Number.isFinite(v) && Math.abs(v) > FLOAT_MAX
        ? want(problems, at, 'a 32-bit float', v)
        : v;
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31
        ? v
        : want(problems, at, 'a 32-bit integer', v);
    case 'uint32':
    case 'fixed32':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32
        ? v
        : want(problems, at, 'an unsigned 32-bit integer', v);
    case 'bytes':
      if (v instanceof Uint8Array) return v;
      if (typeof v === 'string' && BASE64.test(v)) return Buffer.from(v, 'base64');
      return want(problems, at, 'bytes (Uint8Array or base64 string)', v);
    default: {
      const range = INT64_RANGE[kind];
      if (!range) {
        problems.push(`${at}: unsupported field type ${kind}`);
        return BAD;
      }
      const what =
        kind.startsWith('u') || kind.startsWith('f')
          ? 'an unsigned 64-bit integer'
          : 'a 64-bit integer';
      let big: bigint | undefined;
      if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
      else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) big = BigInt(v);
      if (big === undefined || big < range[0] || big > range[1])
        return want(problems, at, `${what} (number or decimal string)`, v);
      return v; // protobufjs takes both forms
    }
  }
}

export function enumValue(e: Enum, v: unknown, at: string, problems: string[]): unknown {
  if (typeof v === 'string') {
    const n = e.values[v];
    if (n !== undefined) return n;
    const names = Object.keys(e.values);
    const list = names.length > 10 ? `${names.slice(0, 10).join(', ')}, …` : names.join(', ');
    problems.push(
      `${at}: unknown value ${JSON.stringify(v)} for enum ${e.fullName.slice(1)} (one of ${list})`,
    );
    return BAD;
  }
  if (Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31) {
    // Open (proto3) enums carry unknown numbers; closed (proto2) ones would drop them.
    const closed =
      (e as unknown as { _features?: { enum_type?: string } })._features?.enum_type === 'CLOSED';
    if (closed && e.valuesById[v as number] === undefined) {
      problems.push(`${at}: ${String(v)} is not a value of closed enum ${e.fullName.slice(1)}`);
      return BAD;
    }
    return v;
  }
  return want(problems, at, `an enum name of ${e.fullName.slice(1)}`, v);
}
