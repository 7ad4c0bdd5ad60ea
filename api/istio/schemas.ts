// The spec schema of every Istio kind Petrel validates, by kind.
import { z } from 'zod';
import { DestinationRuleSpec } from './networking/destination-rule.ts';
import { GatewaySpec, gatewaySpecWarnings } from './networking/gateway.ts';
import { ServiceEntrySpec } from './networking/service-entry.ts';
import { SidecarSpec } from './networking/sidecar.ts';
import { VirtualServiceSpec } from './networking/virtual-service.ts';
import { PeerAuthenticationSpec } from './security/peer-authentication.ts';
import { AuthorizationPolicySpec } from './security/authorization-policy.ts';
import { RequestAuthenticationSpec } from './security/request-authentication.ts';
import { LocalRateLimitSpec } from '../petrel/local-rate-limit.ts';
import { IngressClassSpec, IngressSpec } from '../kube/ingress.ts';

// Security kinds without a full schema yet are stored and reported as not enforced
// (api/istio/unsupported.ts); an object spec is all we require of them.
const LooseSpec = z.record(z.string(), z.unknown());

export const SPEC_SCHEMAS: Record<string, z.ZodType> = {
  VirtualService: VirtualServiceSpec,
  DestinationRule: DestinationRuleSpec,
  Gateway: GatewaySpec,
  ServiceEntry: ServiceEntrySpec,
  Sidecar: SidecarSpec,
  PeerAuthentication: PeerAuthenticationSpec,
  AuthorizationPolicy: AuthorizationPolicySpec,
  RequestAuthentication: RequestAuthenticationSpec,
  // Petrel's own kind (api/petrel/README.md), validated like the Istio ones.
  LocalRateLimit: LocalRateLimitSpec,
  // Kubernetes' own Ingress kinds (api/kube/ingress.ts): checked as the API server checks them.
  Ingress: IngressSpec,
  IngressClass: IngressClassSpec,
};

/**
 * Warnings about a spec that passed its schema: valid Istio that Istio itself warns
 * about (accepted, one line per field, `spec.…: …`).
 */
export const SPEC_WARNINGS: Record<string, (spec: never) => string[]> = {
  Gateway: gatewaySpecWarnings,
};
