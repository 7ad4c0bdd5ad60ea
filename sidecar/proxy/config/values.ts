// Readers for the scalar encodings of Petrel's Envoy object form: proto3-JSON
// Durations ("1.5s"), wrapper types ({ value }), FractionalPercent, uint64 as
// number or string. Each reader reports a bad value on `issues` and returns a default.
import type { Issues } from './issues.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** A wrapper type (`UInt32Value`, `BoolValue`, …) or a bare scalar. */
export function wrapped(v: unknown): unknown {
  return isObj(v) && 'value' in v ? v.value : v;
}

export function wrappedNumber(v: unknown): number | undefined {
  return asNumber(wrapped(v));
}

export function wrappedBool(v: unknown, dflt: boolean): boolean {
  const w = wrapped(v);
  return typeof w === 'boolean' ? w : dflt;
}

const DURATION = /^(-?\d+)(?:\.(\d{1,9}))?s$/;

/**
 * A google.protobuf.Duration in milliseconds, or undefined when absent. Accepts
 * the proto3-JSON string and the `{ seconds, nanos }` object form.
 */
export function durationMs(v: unknown, issues: Issues, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const m = DURATION.exec(v);
    if (m) {
      const frac = m[2] ? Number(`0.${m[2]}`) : 0;
      const secs = Number(m[1]);
      const ms = (Math.abs(secs) + frac) * 1000 * (m[1]!.startsWith('-') ? -1 : 1);
      if (ms < 0) {
        issues.add(`duration must not be negative, got "${v}"`, field);
        return undefined;
      }
      return ms;
    }
  } else if (isObj(v)) {
    const s = asNumber(v.seconds ?? 0);
    const n = asNumber(v.nanos ?? 0);
    if (s !== undefined && n !== undefined && s >= 0 && n >= 0) return s * 1000 + n / 1e6;
  }
  issues.add(`invalid duration ${JSON.stringify(v)} (want e.g. "1.5s")`, field);
  return undefined;
}

const DENOMINATORS: Record<string, number> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/** envoy.type.v3.FractionalPercent as a probability in [0, 1]; absent → `dflt`. */
export function fractionalPercent(v: unknown, issues: Issues, field: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (!isObj(v)) {
    issues.add('expected a FractionalPercent object', field);
    return dflt;
  }
  const num = asNumber(v.numerator ?? 0) ?? 0;
  const denName = asString(v.denominator) ?? 'HUNDRED';
  const den = DENOMINATORS[denName];
  if (den === undefined) {
    issues.add(`unknown denominator "${denName}"`, `${field}.denominator`);
    return dflt;
  }
  return Math.min(1, Math.max(0, num / den));
}

/** envoy.type.v3.Percent ({ value: 0..100 }) as a probability. */
export function percent(v: unknown, dflt: number): number {
  const n = wrappedNumber(v);
  return n === undefined ? dflt : Math.min(1, Math.max(0, n / 100));
}

/** The '@type' name without the type.googleapis.com/ prefix. */
export function anyTypeName(v: unknown): string | undefined {
  const t = isObj(v) ? asString(v['@type']) : undefined;
  if (t === undefined) return undefined;
  const slash = t.lastIndexOf('/');
  return slash >= 0 ? t.slice(slash + 1) : t;
}

const TYPED_STRUCTS = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

/** A typed_config's message type and fields, looking through udpa/xds TypedStruct as Envoy does. */
export function resolveTypedConfig(typedConfig: unknown): {
  typeName: string | undefined;
  config: Obj;
} {
  const o = asObj(typedConfig) ?? {};
  const name = anyTypeName(o);
  if (name && TYPED_STRUCTS.has(name)) {
    const inner = asString(o.type_url);
    return {
      typeName: inner?.slice(inner.lastIndexOf('/') + 1),
      config: isObj(o.value) ? o.value : {},
    };
  }
  return { typeName: name, config: o };
}

/** Bytes fields (direct_response inline_bytes, …) arrive as Buffer/Uint8Array or base64. */
export function bytesValue(v: unknown): Buffer | undefined {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return undefined;
}
