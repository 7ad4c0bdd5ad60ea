import { describe, expect, it } from 'vitest';
import {
  durationFromMillis,
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
} from '../../../api/envoy/well-known.ts';

describe('Duration in proto3-JSON form', () => {
  it.each([
    ['1s', { seconds: 1, nanos: 0 }],
    ['0.250s', { seconds: 0, nanos: 250000000 }],
    ['0.1s', { seconds: 0, nanos: 100000000 }],
    ['-1.5s', { seconds: -1, nanos: -500000000 }],
    ['-0.000000001s', { seconds: 0, nanos: -1 }],
    ['315576000000s', { seconds: 315576000000, nanos: 0 }],
  ])('parses %s', (text, expected) => {
    expect(parseDuration(text)).toEqual(expected);
  });

  it.each(['1', '1m', '1.s', '1.0000000001s', ' 1s', '315576000001s', '+1s'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('prints 0, 3, 6 or 9 fraction digits', () => {
    expect(formatDuration({ seconds: 1, nanos: 0 })).toBe('1s');
    expect(formatDuration({ seconds: 0, nanos: 100000000 })).toBe('0.100s');
    expect(formatDuration({ seconds: 0, nanos: 1500 })).toBe('0.000001500s');
    expect(formatDuration({ seconds: 0, nanos: 1 })).toBe('0.000000001s');
    expect(formatDuration({ seconds: -1, nanos: -500000000 })).toBe('-1.500s');
    expect(formatDuration({ seconds: 0, nanos: -5000000 })).toBe('-0.005s');
  });

  it('builds canonical strings from milliseconds', () => {
    expect(durationFromMillis(250)).toBe('0.250s');
    expect(durationFromMillis(10_000)).toBe('10s');
    expect(durationFromMillis(1.5)).toBe('0.001500s');
  });
});

describe('Timestamp in RFC 3339 form', () => {
  it('parses Z and offsets, and prints canonical UTC', () => {
    const t = parseTimestamp('2024-05-01T14:00:00.250+02:00');
    expect(t).toEqual({ seconds: Date.UTC(2024, 4, 1, 12) / 1000, nanos: 250000000 });
    expect(formatTimestamp(t!)).toBe('2024-05-01T12:00:00.250Z');
    expect(formatTimestamp(parseTimestamp('0001-01-01T00:00:00Z')!)).toBe('0001-01-01T00:00:00Z');
  });

  it.each([
    '2024-02-30T00:00:00Z',
    '2024-05-01 12:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:00:00',
  ])('rejects %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});
