// protoc-gen-validate rules for single values (validate/validate.proto), with
// PGV's wording ("value length must be at least 1 characters").
//
// Written by hand: the maintained JS validator (@bufbuild/protovalidate) reads
// the newer buf.validate annotations through @bufbuild/protobuf descriptors,
// not the legacy `(validate.rules)` options Envoy's protos carry, and not
// protobufjs reflection.

import { isIP } from 'node:net';
import {
  durationNanos,
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
} from './well-known.ts';

type Rules = Record<string, unknown>;

// PGV's well-known regexes (validate.KnownRegex), as its generators define them:
// strict RFC 7230 header name/value, or only "no NUL, CR or LF" when strict is false.
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~\x60]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_STRING = /^[^\u0000\u000A\u000D]*$/;

const regexCache = new Map<string, RegExp | null>();

/** An RE2 pattern as a JS RegExp; RE2's leading (?i)/(?s) flag groups become JS flags. */
function compile(pattern: string): RegExp | null {
  let hit = regexCache.get(pattern);
  if (hit === undefined) {
    let flags = 'u';
    let body = pattern;
    const lead = /^\(\?([ims]+)\)/.exec(body);
    if (lead) {
      flags += lead[1];
      body = body.slice(lead[0].length);
    }
    try {
      hit = new RegExp(body, flags);
    } catch {
      try {
        hit = new RegExp(body, flags.replace('u', ''));
      } catch {
        hit = null;
      }
    }
    regexCache.set(pattern, hit);
  }
  return hit;
}

function list(values: unknown): string {
  return `[${(values as unknown[]).map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')}]`;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostname(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return (
    name.length > 0 && name.length <= 253 && name.split('.').every((l) => HOSTNAME_LABEL.test(l))
  );
}

function isUri(s: string, relative: boolean): boolean {
  // A reference may be relative; resolving it against a dummy base parses it.
  return relative ? URL.canParse(s, 'http://base.invalid/') : URL.canParse(s);
}

export function checkString(r: Rules, v: string): string[] {
  if (r['ignore_empty'] === true && v === '') return [];
  const out: string[] = [];
  const chars = [...v].length;
  const bytes = Buffer.byteLength(v, 'utf8');
  const n = (k: string) => Number(r[k]);
  if (r['const'] !== undefined && v !== r['const'])
    out.push(`value must equal ${JSON.stringify(r['const'])}`);
  if (r['len'] !== undefined && chars !== n('len'))
    out.push(`value length must be ${n('len')} characters`);
  if (r['min_len'] !== undefined && chars < n('min_len'))
    out.push(`value length must be at least ${n('min_len')} characters`);
  if (r['max_len'] !== undefined && chars > n('max_len'))
    out.push(`value length must be at most ${n('max_len')} characters`);
  if (r['len_bytes'] !== undefined && bytes !== n('len_bytes'))
    out.push(`value length must be ${n('len_bytes')} bytes`);
  if (r['min_bytes'] !== undefined && bytes < n('min_bytes'))
    out.push(`value length must be at least ${n('min_bytes')} bytes`);
  if (r['max_bytes'] !== undefined && bytes > n('max_bytes'))
    out.push(`value length must be at most ${n('max_bytes')} bytes`);
  if (typeof r['pattern'] === 'string') {
    const re = compile(r['pattern']);
    if (!re)
      out.push(
        `rule pattern ${JSON.stringify(r['pattern'])} cannot be checked (not a JS-compatible regex)`,
      );
    else if (!re.test(v))
      out.push(`value does not match regex pattern ${JSON.stringify(r['pattern'])}`);
  }
  if (typeof r['prefix'] === 'string' && !v.startsWith(r['prefix']))
    out.push(`value does not have prefix ${JSON.stringify(r['prefix'])}`);
  if (typeof r['suffix'] === 'string' && !v.endsWith(r['suffix']))
    out.push(`value does not have suffix ${JSON.stringify(r['suffix'])}`);
  if (typeof r['contains'] === 'string' && !v.includes(r['contains']))
    out.push(`value does not contain substring ${JSON.stringify(r['contains'])}`);
  if (typeof r['not_contains'] === 'string' && v.includes(r['not_contains']))
    out.push(`value contains substring ${JSON.stringify(r['not_contains'])}`);
  if (Array.isArray(r['in']) && !r['in'].includes(v))
    out.push(`value must be in list ${list(r['in'])}`);
  if (Array.isArray(r['not_in']) && r['not_in'].includes(v))
    out.push(`value must not be in list ${list(r['not_in'])}`);
  if (r['email'] === true && !/^[^@\s<>]+@[^@\s<>]+$/.test(v))
    out.push('value must be a valid email address');
  if (r['hostname'] === true && !isHostname(v)) out.push('value must be a valid hostname');
  if (r['ip'] === true && isIP(v) === 0) out.push('value must be a valid IP address');
  if (r['ipv4'] === true && isIP(v) !== 4) out.push('value must be a valid IPv4 address');
  if (r['ipv6'] === true && isIP(v) !== 6) out.push('value must be a valid IPv6 address');
  if (r['address'] === true && isIP(v) === 0 && !isHostname(v))
    out.push('value must be a valid hostname, or ip address');
  if (r['uri'] === true && !isUri(v, false)) out.push('value must be a valid URI');
  if (r['uri_ref'] === true && !isUri(v, true)) out.push('value must be a valid URI reference');
  if (
    r['uuid'] === true &&
    !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v)
  ) {
    out.push('value must be a valid UUID');
  }
  const known = r['well_known_regex'];
  if (known === 'HTTP_HEADER_NAME' || known === 'HTTP_HEADER_VALUE' || known === 1 || known === 2) {
    const strict = r['strict'] !== false; // validate.proto: `optional bool strict = 25 [default = true]`
    const isName = known === 'HTTP_HEADER_NAME' || known === 1;
    const re = !strict ? HEADER_STRING : isName ? HEADER_NAME : HEADER_VALUE;
    if (!re.test(v))
      out.push(
        `value does not match regex pattern "${re.source}" (${isName ? 'HTTP_HEADER_NAME' : 'HTTP_HEADER_VALUE'}${strict ? '' : ', not strict'})`,
      );
  }
  return out;
}

export function checkBytes(r: Rules, base64: string): string[] {
  const v = Buffer.from(base64, 'base64');
  if (r['ignore_empty'] === true && v.length === 0) return [];
  const out: string[] = [];
  const n = (k: string) => Number(r[k]);
  if (r['len'] !== undefined && v.length !== n('len'))
    out.push(`value length must be ${n('len')} bytes`);
  if (r['min_len'] !== undefined && v.length < n('min_len'))
    out.push(`value length must be at least ${n('min_len')} bytes`);
  if (r['max_len'] !== undefined && v.length > n('max_len'))
    out.push(`value length must be at most ${n('max_len')} bytes`);
  const latin = v.toString('latin1');
  if (typeof r['pattern'] === 'string') {
    const re = compile(r['pattern']);
    if (re && !re.test(latin))
      out.push(`value does not match regex pattern ${JSON.stringify(r['pattern'])}`);
  }
  if (r['ip'] === true && v.length !== 4 && v.length !== 16)
    out.push('value must be a valid IP address');
  if (r['ipv4'] === true && v.length !== 4) out.push('value must be a valid IPv4 address');
  if (r['ipv6'] === true && v.length !== 16) out.push('value must be a valid IPv6 address');
  return out;
}

export function checkBool(r: Rules, v: boolean): string[] {
  return r['const'] !== undefined && v !== r['const']
    ? [`value must equal ${String(r['const'])}`]
    : [];
}

/** A comparable value with its printed form: numbers, bigints or nanoseconds. */
interface Scale<T> {
  of(raw: unknown): T | undefined;
  show(raw: unknown): string;
}

const numberScale: Scale<number> = {
  of: (raw) => (typeof raw === 'number' ? raw : raw === undefined ? undefined : Number(raw)),
  show: (raw) => String(raw),
};

const bigScale: Scale<bigint> = {
  of: (raw) => (raw === undefined ? undefined : BigInt(String(raw))),
  show: (raw) => String(raw),
};

/** PGV's duration bounds are messages (`gt {}` is 0s); values are "1.5s" strings. */
const durationScale: Scale<bigint> = {
  of(raw) {
    if (raw === undefined) return undefined;
    if (typeof raw === 'string') {
      const d = parseDuration(raw);
      return d ? durationNanos(d) : undefined;
    }
    const m = raw as { seconds?: unknown; nanos?: unknown };
    return BigInt(String(m.seconds ?? 0)) * 1_000_000_000n + BigInt(String(m.nanos ?? 0));
  },
  show(raw) {
    if (typeof raw === 'string') return raw;
    const m = raw as { seconds?: unknown; nanos?: unknown };
    return formatDuration({ seconds: Number(m.seconds ?? 0), nanos: Number(m.nanos ?? 0) });
  },
};

const timestampScale: Scale<bigint> = {
  of(raw) {
    if (raw === undefined) return undefined;
    if (typeof raw === 'string') {
      const t = parseTimestamp(raw);
      return t ? durationNanos(t) : undefined;
    }
    const m = raw as { seconds?: unknown; nanos?: unknown };
    return BigInt(String(m.seconds ?? 0)) * 1_000_000_000n + BigInt(String(m.nanos ?? 0));
  },
  show(raw) {
    if (typeof raw === 'string') return raw;
    const m = raw as { seconds?: unknown; nanos?: unknown };
    return formatTimestamp({ seconds: Number(m.seconds ?? 0), nanos: Number(m.nanos ?? 0) });
  },
};

/** const, lt/lte/gt/gte (a range, or outside a range when upper < lower), in, not_in: PGV's semantics. */
function checkOrdered<T extends number | bigint>(
  scale: Scale<T>,
  r: Rules,
  raw: unknown,
): string[] {
  const v = scale.of(raw);
  if (v === undefined) return [`value ${JSON.stringify(raw)} cannot be compared`];
  const out: string[] = [];
  const c = scale.of(r['const']);
  if (c !== undefined && v !== c) out.push(`value must equal ${scale.show(r['const'])}`);
  const lt = scale.of(r['lt']);
  const lte = scale.of(r['lte']);
  const gt = scale.of(r['gt']);
  const gte = scale.of(r['gte']);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const upperKey = lt !== undefined ? 'lt' : 'lte';
  const lowerKey = gt !== undefined ? 'gt' : 'gte';
  const belowUpper = upper === undefined || (lt !== undefined ? v < lt : v <= (lte as T));
  const aboveLower = lower === undefined || (gt !== undefined ? v > gt : v >= (gte as T));
  if (upper !== undefined && lower !== undefined) {
    const open = lowerKey === 'gt' ? '(' : '[';
    const close = upperKey === 'lt' ? ')' : ']';
    const bounds = `${scale.show(r[lowerKey])}, ${scale.show(r[upperKey])}`;
    if (upper > lower) {
      if (!belowUpper || !aboveLower)
        out.push(`value must be inside range ${open}${bounds}${close}`);
    } else if (belowUpper === false && aboveLower === false) {
      // upper <= lower: the valid values lie outside [upper, lower].
      out.push(
        `value must be outside range ${upperKey === 'lt' ? '[' : '('}${scale.show(r[upperKey])}, ${scale.show(r[lowerKey])}${lowerKey === 'gt' ? ']' : ')'}`,
      );
    }
  } else if (!belowUpper) {
    out.push(
      `value must be less than ${upperKey === 'lte' ? 'or equal to ' : ''}${scale.show(r[upperKey])}`,
    );
  } else if (!aboveLower) {
    out.push(
      `value must be greater than ${lowerKey === 'gte' ? 'or equal to ' : ''}${scale.show(r[lowerKey])}`,
    );
  }
  if (Array.isArray(r['in']) && !r['in'].some((x) => scale.of(x) === v))
    out.push(`value must be in list [${r['in'].map(scale.show).join(', ')}]`);
  if (Array.isArray(r['not_in']) && r['not_in'].some((x) => scale.of(x) === v))
    out.push(`value must not be in list [${r['not_in'].map(scale.show).join(', ')}]`);
  return out;
}

const INTEGER_64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Rules for int32/uint32/…/double/float families; `kind` is the rule family name. */
export function checkNumber(kind: string, r: Rules, v: number | string): string[] {
  if (r['ignore_empty'] === true && Number(v) === 0) return [];
  return INTEGER_64.has(kind) ? checkOrdered(bigScale, r, v) : checkOrdered(numberScale, r, v);
}

export function checkDuration(r: Rules, v: string): string[] {
  return checkOrdered(durationScale, r, v);
}

export function checkTimestamp(r: Rules, v: string): string[] {
  const out = checkOrdered(timestampScale, r, v);
  const t = timestampScale.of(v);
  const now = BigInt(Date.now()) * 1_000_000n;
  if (t !== undefined && r['lt_now'] === true && t >= now) out.push('value must be less than now');
  if (t !== undefined && r['gt_now'] === true && t <= now)
    out.push('value must be greater than now');
  return out;
}

/** Enum rules; `number` is the value's number (names resolved by the caller). */
export function checkEnum(r: Rules, number: number, defined: boolean): string[] {
  const out: string[] = [];
  if (r['const'] !== undefined && number !== Number(r['const']))
    out.push(`value must equal ${String(r['const'])}`);
  if (r['defined_only'] === true && !defined)
    out.push('value must be one of the defined enum values');
  if (Array.isArray(r['in']) && !r['in'].map(Number).includes(number))
    out.push(`value must be in list ${list(r['in'])}`);
  if (Array.isArray(r['not_in']) && r['not_in'].map(Number).includes(number))
    out.push(`value must not be in list ${list(r['not_in'])}`);
  return out;
}

export function checkAnyUrl(r: Rules, typeUrl: string): string[] {
  const out: string[] = [];
  if (Array.isArray(r['in']) && !r['in'].includes(typeUrl))
    out.push(`type URL must be in list ${list(r['in'])}`);
  if (Array.isArray(r['not_in']) && r['not_in'].includes(typeUrl))
    out.push(`type URL must not be in list ${list(r['not_in'])}`);
  return out;
}
