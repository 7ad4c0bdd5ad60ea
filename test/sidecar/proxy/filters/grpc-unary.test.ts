import { describe, expect, it } from 'vitest';
import { grpcTimeout } from '../../../../sidecar/proxy/filters/grpc-unary.ts';

describe('grpc-timeout', () => {
  it('keeps to the 8 digits gRPC allows, moving to seconds and hours for long timeouts', () => {
    expect(grpcTimeout(200)).toBe('200m');
    expect(grpcTimeout(0.5)).toBe('1m');
    expect(grpcTimeout(99_999_999)).toBe('99999999m');
    expect(grpcTimeout(100_000_000)).toBe('100000S');
    expect(grpcTimeout(600_000 * 1_000_000)).toBe('166667H');
  });
});
