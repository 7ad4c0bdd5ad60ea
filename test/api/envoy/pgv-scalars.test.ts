import { describe, expect, it } from 'vitest';
import {
  checkAnyUrl,
  checkBytes,
  checkDuration,
  checkEnum,
  checkNumber,
  checkString,
  checkTimestamp,
} from '../../../api/envoy/pgv-scalars.ts';

describe('PGV string rules', () => {
  it('counts characters as code points and bytes as UTF-8', () => {
    expect(checkString({ max_len: 2 }, 'éé')).toEqual([]);
    expect(checkString({ max_bytes: 3 }, 'éé')).toEqual(['value length must be at most 3 bytes']);
    expect(checkString({ min_len: 2 }, '😀')).toEqual([
      'value length must be at least 2 characters',
    ]);
  });

  it('applies well_known_regex strictly unless strict is false (validate.proto default true)', () => {
    expect(checkString({ well_known_regex: 'HTTP_HEADER_VALUE' }, 'a\u0001b')).toHaveLength(1);
    expect(
      checkString({ well_known_regex: 'HTTP_HEADER_VALUE', strict: false }, 'a\u0001b'),
    ).toEqual([]);
    expect(
      checkString({ well_known_regex: 'HTTP_HEADER_VALUE', strict: false }, 'a\rb'),
    ).toHaveLength(1);
    expect(checkString({ well_known_regex: 'HTTP_HEADER_NAME' }, ':authority')).toEqual([]);
    expect(checkString({ well_known_regex: 'HTTP_HEADER_NAME' }, 'x y')).toHaveLength(1);
  });

  it('skips every rule on an empty value when ignore_empty is set', () => {
    expect(checkString({ min_len: 1, ignore_empty: true }, '')).toEqual([]);
    expect(checkString({ min_len: 3, ignore_empty: true }, 'ab')).toEqual([
      'value length must be at least 3 characters',
    ]);
  });

  it('checks RE2 patterns, prefixes, lists and address forms', () => {
    expect(checkString({ pattern: '^$|^.*\\.mmdb$' }, 'geo.mmdb')).toEqual([]);
    expect(checkString({ pattern: '^$|^.*\\.mmdb$' }, 'geo.db')).toEqual([
      'value does not match regex pattern "^$|^.*\\\\.mmdb$"',
    ]);
    expect(checkString({ pattern: '(?i)^abc$' }, 'ABC')).toEqual([]);
    expect(checkString({ prefix: '/' }, 'a')).toEqual(['value does not have prefix "/"']);
    expect(checkString({ in: ['a', 'b'] }, 'c')).toEqual(['value must be in list ["a", "b"]']);
    expect(checkString({ not_in: ['a'] }, 'a')).toEqual(['value must not be in list ["a"]']);
    expect(checkString({ address: true }, 'reviews.default.svc.cluster.local')).toEqual([]);
    expect(checkString({ address: true }, '::1')).toEqual([]);
    expect(checkString({ address: true }, 'bad host')).toHaveLength(1);
    expect(checkString({ ipv4: true }, '::1')).toEqual(['value must be a valid IPv4 address']);
  });
});

describe('PGV numeric rules', () => {
  it('inside and outside ranges, with PGV bracket notation', () => {
    expect(checkNumber('uint32', { gte: 200, lt: 600 }, 599)).toEqual([]);
    expect(checkNumber('uint32', { gte: 200, lt: 600 }, 199)).toEqual([
      'value must be inside range [200, 600)',
    ]);
    // lt below gt: only values outside [lt, gt] pass.
    expect(checkNumber('int32', { lt: 10, gt: 20 }, 15)).toEqual([
      'value must be outside range [10, 20]',
    ]);
    expect(checkNumber('int32', { lt: 10, gt: 20 }, 25)).toEqual([]);
    expect(checkNumber('int32', { lt: 10, gt: 20 }, 5)).toEqual([]);
    expect(checkNumber('double', { gt: 0 }, 0)).toEqual(['value must be greater than 0']);
    expect(checkNumber('double', { lte: 100 }, 100.5)).toEqual([
      'value must be less than or equal to 100',
    ]);
  });

  it('compares 64-bit values exactly', () => {
    expect(checkNumber('uint64', { lte: '18446744073709551614' }, '18446744073709551615')).toEqual([
      'value must be less than or equal to 18446744073709551614',
    ]);
    expect(checkNumber('uint64', { lte: '18446744073709551615' }, '18446744073709551615')).toEqual(
      [],
    );
  });

  it('const, in and not_in', () => {
    expect(checkNumber('uint32', { const: 1 }, 2)).toEqual(['value must equal 1']);
    expect(checkNumber('uint32', { in: [1, 2] }, 3)).toEqual(['value must be in list [1, 2]']);
    expect(checkNumber('uint32', { not_in: [0] }, 0)).toEqual(['value must not be in list [0]']);
  });
});

describe('PGV duration, timestamp, enum, bytes and any rules', () => {
  it('durations compare as seconds + nanos, bounds given as messages', () => {
    expect(checkDuration({ gte: { nanos: 1000000 } }, '0.001s')).toEqual([]);
    expect(checkDuration({ gte: { nanos: 1000000 } }, '0.000999s')).toEqual([
      'value must be greater than or equal to 0.001s',
    ]);
    expect(checkDuration({ lt: { seconds: 1 }, gte: {} }, '1s')).toEqual([
      'value must be inside range [0s, 1s)',
    ]);
  });

  it('timestamps against bounds and now', () => {
    expect(checkTimestamp({ gt: { seconds: 0 } }, '1970-01-01T00:00:00Z')).toEqual([
      'value must be greater than 1970-01-01T00:00:00Z',
    ]);
    expect(checkTimestamp({ lt_now: true }, '2000-01-01T00:00:00Z')).toEqual([]);
    expect(checkTimestamp({ lt_now: true }, '9999-01-01T00:00:00Z')).toEqual([
      'value must be less than now',
    ]);
  });

  it('enums: defined_only, in and not_in by number', () => {
    expect(checkEnum({ defined_only: true }, 7, false)).toEqual([
      'value must be one of the defined enum values',
    ]);
    expect(checkEnum({ not_in: [0] }, 0, true)).toEqual(['value must not be in list [0]']);
    expect(checkEnum({ in: [1, 2] }, 1, true)).toEqual([]);
  });

  it('bytes lengths are counted on the decoded bytes', () => {
    expect(checkBytes({ min_len: 1 }, '')).toEqual(['value length must be at least 1 bytes']);
    expect(checkBytes({ max_len: 2 }, Buffer.from([1, 2, 3]).toString('base64'))).toEqual([
      'value length must be at most 2 bytes',
    ]);
  });

  it('any: type URL in / not_in', () => {
    expect(checkAnyUrl({ in: ['type.googleapis.com/a.B'] }, 'type.googleapis.com/a.C')).toEqual([
      'type URL must be in list ["type.googleapis.com/a.B"]',
    ]);
  });
});
