// The spec schema of every Istio kind Petrel validates, by kind.
import { z } from 'zod';
import { DestinationRuleSpec } from './networking/destination-rule.ts';
import { GatewaySpec } from './networking/gateway.ts';
import { ServiceEntrySpec } from './networking/service-entry.ts';
import { SidecarSpec } from './networking/sidecar.ts';
import { VirtualServiceSpec } from './networking/virtual-service.ts';

// Security kinds are stored and reported as not enforced (api/istio/unsupported.ts)
// until the security work gives them full schemas; an object spec is all we require.
const LooseSpec = z.record(z.string(), z.unknown());

export const SPEC_SCHEMAS: Record<string, z.ZodType> = {
  VirtualService: VirtualServiceSpec,
  DestinationRule: DestinationRuleSpec,
  Gateway: GatewaySpec,
  ServiceEntry: ServiceEntrySpec,
  Sidecar: SidecarSpec,
  PeerAuthentication: LooseSpec,
  AuthorizationPolicy: LooseSpec,
  RequestAuthentication: LooseSpec,
};
