// VirtualService retries → Envoy retry_policy, with Istio's default when unset: 2
// retries on connect-failure, refused-stream, unavailable, cancelled and 503, on
// another host when possible (previous_hosts). attempts 0 turns retries off. Numbers
// in retryOn are status codes. With consistent hashing retries keep the same host.
import type { HTTPRoute } from '../../../api/istio/index.ts';
import { goDuration, u32 } from '../common/envoy.ts';
import { PREVIOUS_HOSTS } from '../common/type-urls.ts';

const DEFAULT_RETRY_ON =
  'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

export function retryPolicy(
  retries: HTTPRoute['retries'],
  consistentHash: boolean,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: u32(2),
    retriable_status_codes: [503],
    host_selection_retry_max_attempts: '5',
  };
  if (!consistentHash) {
    out.retry_host_predicate = [
      {
        name: 'envoy.retry_host_predicates.previous_hosts',
        typed_config: { '@type': PREVIOUS_HOSTS },
      },
    ];
  }
  if (!retries) return out;
  if (retries.attempts <= 0) return undefined;
  out.num_retries = u32(retries.attempts);
  if (retries.retryOn) {
    const codes: number[] = [];
    const names: string[] = [];
    for (const part of retries.retryOn
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const n = Number(part);
      if (/^\d{3}$/.test(part) && n >= 100 && n <= 599) codes.push(n);
      else names.push(part);
    }
    let on = names.join(',');
    if (codes.length > 0 && !on.includes('retriable-status-codes'))
      on = on ? `${on},retriable-status-codes` : 'retriable-status-codes';
    out.retry_on = on;
    if (codes.length > 0) out.retriable_status_codes = codes;
    else delete out.retriable_status_codes;
  }
  if (retries.perTryTimeout) out.per_try_timeout = goDuration(retries.perTryTimeout);
  return out;
}
