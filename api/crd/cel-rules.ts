// zod refinements are functions, which JSON Schema cannot carry. The simple ones
// (which fields exclude each other) are restated here as CEL rules, so the API
// server itself rejects them on `kubectl apply`; they are attached to the schema
// node of the zod object they refine. Everything else stays with the validating
// webhook (api/istio/validate.ts), as Istio's CRDs leave most checks to istiod:
//   - duration strings and regex syntax (schema-kit duration(), regex())
//   - Gateway port protocol names, compared case-insensitively
//   - DestinationRule subset names being unique
// Each rule must keep the zod schema's verdict: test/crds checks both on the same objects.
import type { z } from 'zod';
import { StringMatch } from '../istio/schema-kit.ts';
import { LoadBalancerSettings } from '../istio/networking/destination-rule.ts';
import { ServiceEntrySpec } from '../istio/networking/service-entry.ts';
import { HTTPFaultInjection, HTTPRoute } from '../istio/networking/virtual-service.ts';

/** One entry of `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message: string;
}

/** `has(self.a) ? 1 : 0) + …`: how many of the fields are set, cheap for the API server's cost estimate. */
function countSet(fields: readonly string[]): string {
  return fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');
}

function exactlyOne(fields: readonly string[]): CelRule {
  return {
    rule: `${countSet(fields)} == 1`,
    message: `must set exactly one of ${fields.join(', ')}`,
  };
}

function notBoth(a: string, b: string, message: string): CelRule {
  return { rule: `!(has(self.${a}) && has(self.${b}))`, message };
}

/** The refined zod object schemas and their rules; keys are the exact schema instances api/istio exports. */
export function celRules(): Map<z.core.$ZodType, CelRule[]> {
  const abort = HTTPFaultInjection.shape.abort.unwrap();
  const consistentHash = LoadBalancerSettings.shape.consistentHash.unwrap();
  return new Map<z.core.$ZodType, CelRule[]>([
    [StringMatch, [exactlyOne(['exact', 'prefix', 'regex'])]],
    [
      HTTPRoute,
      [
        exactlyOne(['route', 'redirect', 'directResponse', 'delegate']),
        notBoth('mirror', 'mirrors', 'mirrors cannot be set together with mirror'),
      ],
    ],
    [abort, [exactlyOne(['httpStatus', 'grpcStatus', 'http2Error'])]],
    [
      LoadBalancerSettings,
      [notBoth('simple', 'consistentHash', 'must set only one of simple, consistentHash')],
    ],
    [
      consistentHash,
      [exactlyOne(['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'])],
    ],
    [
      ServiceEntrySpec,
      [
        notBoth(
          'endpoints',
          'workloadSelector',
          'workloadSelector cannot be set together with endpoints',
        ),
        {
          rule: "!has(self.resolution) || self.resolution != 'STATIC' || has(self.workloadSelector) || !has(self.endpoints) || self.endpoints.all(e, has(e.address) && e.address != '')",
          message: 'endpoints need an address with resolution STATIC',
        },
      ],
    ],
  ]);
}
