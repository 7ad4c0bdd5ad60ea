// The hand-read traceparent agrees with W3C Trace Context on what it accepts, and
// leaves everything it does not accept to OpenTelemetry; pooled ids are valid ids.
import { describe, expect, it } from 'vitest';
import {
  hasB3,
  injectUnsampled,
  parseTraceparent00,
  PooledIdGenerator,
} from '../../../sidecar/telemetry/trace-context.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('trace context fast path', () => {
  it('reads a version-00 traceparent and its sampled flag', () => {
    expect(parseTraceparent00(`00-${T}-${S}-01`)).toEqual({ traceId: T, spanId: S, sampled: true });
    expect(parseTraceparent00(`00-${T}-${S}-00`)).toEqual({
      traceId: T,
      spanId: S,
      sampled: false,
    });
    expect(parseTraceparent00(`00-${T}-${S}-03`)?.sampled).toBe(true);
  });

  it('declines what W3C rejects or what only the full propagator should judge', () => {
    for (const v of [
      `00-${T.toUpperCase()}-${S}-01`, // upper-case hex is invalid
      `00-${'0'.repeat(32)}-${S}-01`, // all-zero trace id
      `00-${T}-${'0'.repeat(16)}-01`, // all-zero span id
      `01-${T}-${S}-01`, // another version: OpenTelemetry decides
      `00-${T}-${S}-01-extra`,
      ` 00-${T}-${S}-01`,
      `00-${T}-${S}-0g`,
    ]) {
      expect(parseTraceparent00(v), v).toBeUndefined();
    }
  });

  it('writes unsampled context in the chosen formats', () => {
    const h = {};
    injectUnsampled(h, T, S, true, true);
    expect(h).toEqual({
      traceparent: `00-${T}-${S}-00`,
      'x-b3-traceid': T,
      'x-b3-spanid': S,
      'x-b3-sampled': '0',
    });
    expect(hasB3(h)).toBe(true);
    expect(hasB3({ b3: '0' })).toBe(true);
    expect(hasB3({ traceparent: 'x' })).toBe(false);
  });

  it('makes distinct lower-hex ids of the right length', () => {
    const ids = new PooledIdGenerator();
    const traces = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = ids.generateTraceId();
      const s = ids.generateSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      traces.add(t);
    }
    expect(traces.size).toBe(1000);
  });
});
