// petrel.dev/v1alpha1 LocalRateLimit: Petrel's own small API for Envoy's local rate
// limit filter (a token bucket in each proxy), which Istio only reaches through
// EnvoyFilter patches. Documented in api/petrel/README.md.
import { z } from 'zod';
import { duration, int, port } from '../istio/schema-kit.ts';
import { MatchLabelsSelector } from '../istio/security/authorization-policy.ts';

export const TokenBucket = z.strictObject({
  /** Bucket size: the burst a proxy admits; also the tokens it starts with. */
  maxTokens: int(1),
  /** Tokens added every fillInterval (default maxTokens: the bucket refills at once). */
  tokensPerFill: int(1).optional(),
  /** Go duration, at least 50ms: Envoy refuses a shorter fill timer. */
  fillInterval: duration(50),
});

export const RouteRateLimit = z.strictObject({
  /** An Envoy route name: the VirtualService http route's `name`. */
  name: z.string().min(1, 'must not be empty'),
  tokenBucket: TokenBucket,
});

export const LocalRateLimitSpec = z
  .strictObject({
    /** Workloads (sidecars or gateways) whose labels match; absent: every workload in the namespace (the mesh, in the root namespace). */
    selector: MatchLabelsSelector.optional(),
    /** Listener ports the bucket applies to (a sidecar's workload ports, a gateway's server ports); absent: every HTTP port. */
    ports: z.array(port()).optional(),
    /** One bucket per proxy and port for every request there. */
    tokenBucket: TokenBucket.optional(),
    /** Buckets of their own for named routes, instead of the port's bucket. */
    routes: z.array(RouteRateLimit).optional(),
    /** Send x-ratelimit-limit, -remaining and -reset on every response (default true). */
    rateLimitHeaders: z.boolean().optional(),
  })
  .refine((s) => s.tokenBucket !== undefined || (s.routes?.length ?? 0) > 0, {
    message: 'needs tokenBucket or routes',
  });

export type LocalRateLimitSpec = z.infer<typeof LocalRateLimitSpec>;
export type TokenBucketSpec = z.infer<typeof TokenBucket>;
