// The proto3-JSON forms of the well-known types Petrel writes inline:
// Duration ("1.500s"), Timestamp (RFC 3339) and Struct/Value/ListValue (plain
// JSON). Spec: https://protobuf.dev/programming-guides/json/ ("JSON mapping").
//
// Parsers return undefined on bad input so callers can report the field path.

export interface SecondsNanos {
  seconds: number;
  nanos: number;
}

// Duration and Timestamp limits from google/protobuf/duration.proto and timestamp.proto.
const MAX_DURATION_SECONDS = 315_576_000_000;
const MIN_TIMESTAMP_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** "1s", "0.1s", "-1.5s" → seconds and nanos with the same sign; undefined if malformed. */
export function parseDuration(text: string): SecondsNanos | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[2]);
  if (seconds > MAX_DURATION_SECONDS) return undefined;
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  const sign = m[1] ? -1 : 1;
  // 0 * -1 is -0, which would not deep-equal 0.
  return { seconds: seconds === 0 ? 0 : sign * seconds, nanos: nanos === 0 ? 0 : sign * nanos };
}

/** Fraction digits as proto3 JSON prints them: none, 3, 6 or 9. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const nine = String(nanos).padStart(9, '0');
  if (nine.endsWith('000000')) return `.${nine.slice(0, 3)}`;
  if (nine.endsWith('000')) return `.${nine.slice(0, 6)}`;
  return `.${nine}`;
}

/** Canonical proto3-JSON text of a Duration: "1s", "0.100s", "-1.500s". */
export function formatDuration(d: SecondsNanos): string {
  const negative = d.seconds < 0 || d.nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(d.seconds)}${fraction(Math.abs(d.nanos))}s`;
}

/** A Duration string from milliseconds, for generators: 250 → "0.250s". */
export function durationFromMillis(ms: number): string {
  const whole = Math.trunc(ms / 1000);
  const nanos = Math.round((ms - whole * 1000) * 1e6);
  return formatDuration({ seconds: whole, nanos });
}

/** A duration as signed nanoseconds, for comparisons. */
export function durationNanos(d: SecondsNanos): bigint {
  return BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 with "Z" or an offset → seconds since the epoch and nanos. */
export function parseTimestamp(text: string): SecondsNanos | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  // A day or hour out of range rolls over (Feb 30 → Mar 1); a real time survives the trip.
  if (
    date.getUTCDate() !== Number(d) ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCHours() !== Number(h)
  )
    return undefined;
  if (Number(mi) > 59 || Number(s) > 59) return undefined;
  let seconds = Math.floor(date.getTime() / 1000);
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    seconds -= sign * (Number(zone!.slice(1, 3)) * 3600 + Number(zone!.slice(4, 6)) * 60);
  }
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) return undefined;
  return { seconds, nanos: frac ? Number(frac.padEnd(9, '0')) : 0 };
}

/** Canonical proto3-JSON text of a Timestamp: "2024-05-01T12:00:00.250Z". */
export function formatTimestamp(t: SecondsNanos): string {
  // Years 0001-9999 (the Timestamp range) print with four digits.
  const iso = new Date(t.seconds * 1000).toISOString(); // 2024-05-01T12:00:00.000Z
  return `${iso.slice(0, 19)}${fraction(t.nanos)}Z`;
}

/** JSON types allowed in a google.protobuf.Value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v))
    return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
