// The cheap half of trace propagation, for the path every request takes. OpenTelemetry's
// propagators cost about 1.7 µs to read a traceparent and 2 µs to write one (Context
// objects, regexes, its id generator's per-character Math.random): too much against
// a 70 µs per-request budget when, in a mesh, nearly every request carries a
// traceparent and only ~1% are sampled. So the exact version-00 traceparent is read
// here, an unsampled request's context is written here, and ids come from a pool
// of crypto-random bytes; everything else (B3, other traceparent versions,
// tracestate, sampled spans) goes through OpenTelemetry.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';
import type { HeaderMap } from '../proxy/upstream/types.ts';

export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function allZero(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/**
 * A version-00 traceparent exactly as W3C Trace Context writes it
 * (`00-<32 hex>-<16 hex>-<2 hex>`, ids not all zeros). undefined for anything else,
 * which the caller hands to OpenTelemetry's propagator to judge.
 */
export function parseTraceparent00(v: string): ParsedTraceparent | undefined {
  if (v.length !== 55 || v.charCodeAt(0) !== 48 || v.charCodeAt(1) !== 48) return undefined;
  if (v.charCodeAt(2) !== 45 || v.charCodeAt(35) !== 45 || v.charCodeAt(52) !== 45)
    return undefined;
  if (!isLowerHex(v, 3, 35) || !isLowerHex(v, 36, 52) || !isLowerHex(v, 53, 55)) return undefined;
  if (allZero(v, 3, 35) || allZero(v, 36, 52)) return undefined;
  const flags = parseInt(v.slice(53, 55), 16);
  return { traceId: v.slice(3, 35), spanId: v.slice(36, 52), sampled: (flags & 1) === 1 };
}

/** True when the request carries B3 context (single or multi header). */
export function hasB3(h: HeaderMap): boolean {
  return h.b3 !== undefined || h['x-b3-traceid'] !== undefined;
}

/** Writes an unsampled context in the configured formats (B3 multi-header, as Envoy's Zipkin tracer sends). */
export function injectUnsampled(
  h: HeaderMap,
  traceId: string,
  spanId: string,
  w3c: boolean,
  b3: boolean,
): void {
  if (w3c) h.traceparent = `00-${traceId}-${spanId}-00`;
  if (b3) {
    h['x-b3-traceid'] = traceId;
    h['x-b3-spanid'] = spanId;
    h['x-b3-sampled'] = '0';
  }
}

/**
 * Trace and span ids from a pool of crypto-random bytes, refilled 4 KiB at a time.
 * The pool is hex-encoded once per refill and each id is a slice of that text: one
 * small string per id instead of a chain of per-byte concatenations (garbage the
 * proxy pays for on every request).
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly pool = Buffer.allocUnsafe(4096);
  private hex = '';
  private offset = 4096;

  private take(bytes: number): string {
    if (this.offset + bytes > this.pool.length) {
      randomFillSync(this.pool);
      this.hex = this.pool.toString('hex');
      this.offset = 0;
    }
    const start = this.offset;
    const end = start + bytes;
    this.offset = end;
    let zero = true;
    for (let i = start; i < end; i++) {
      if (this.pool[i] !== 0) {
        zero = false;
        break;
      }
    }
    // All zeros is an invalid id in W3C; 2^-64 odds, but cheap to rule out.
    return zero ? this.take(bytes) : this.hex.slice(start * 2, end * 2);
  }

  generateTraceId(): string {
    return this.take(16);
  }

  generateSpanId(): string {
    return this.take(8);
  }
}
