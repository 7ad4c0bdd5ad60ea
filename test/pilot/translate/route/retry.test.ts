// Retry policies: Istio's default when unset, none for attempts 0, numbers in
// retryOn as retriable status codes, no host change when hashing consistently.
import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../../../pilot/translate/route/retry.ts';

describe('retryPolicy', () => {
  it("is Istio's default when the route sets none", () => {
    const p = retryPolicy(undefined, false)!;
    expect(p.retry_on).toBe(
      'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    );
    expect(p.num_retries).toEqual({ value: 2 });
    expect(p.retriable_status_codes).toEqual([503]);
    expect(p.host_selection_retry_max_attempts).toBe('5');
    expect((p.retry_host_predicate as { name: string }[])[0]!.name).toBe(
      'envoy.retry_host_predicates.previous_hosts',
    );
  });

  it('is absent when attempts is 0', () => {
    expect(retryPolicy({ attempts: 0 }, false)).toBeUndefined();
  });

  it('splits status codes out of retryOn and adds retriable-status-codes once', () => {
    expect(retryPolicy({ attempts: 1, retryOn: 'gateway-error, 502,504' }, false)).toMatchObject({
      retry_on: 'gateway-error,retriable-status-codes',
      retriable_status_codes: [502, 504],
    });
    expect(
      retryPolicy({ attempts: 1, retryOn: '503,retriable-status-codes' }, false),
    ).toMatchObject({ retry_on: 'retriable-status-codes', retriable_status_codes: [503] });
    expect(retryPolicy({ attempts: 1, retryOn: 'reset' }, false)).not.toHaveProperty(
      'retriable_status_codes',
    );
  });

  it('keeps retries on the same host under consistent hashing', () => {
    expect(retryPolicy(undefined, true)).not.toHaveProperty('retry_host_predicate');
    expect(retryPolicy({ attempts: 4, perTryTimeout: '250ms' }, true)).toMatchObject({
      num_retries: { value: 4 },
      per_try_timeout: '0.25s',
    });
  });
});
