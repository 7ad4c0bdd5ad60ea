// The generator registry: which generators serve a proxy, by family — Envoy
// sidecar, Envoy gateway (router), proxyless gRPC — and one dispatching generator
// per xDS type for the ADS server, which takes one generator per type URL.
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/types.ts';
import type { Generator } from './types.ts';
import { TypeUrl } from '../../api/envoy/registry.ts';
import { familyOf } from './cluster/context.ts';
import type { Family } from './cluster/context.ts';
import { GRPC_GENERATORS } from './grpc/generators.ts';
import { ROUTER_GENERATORS } from './router/generators.ts';
import { SIDECAR_GENERATORS } from './sidecar/generators.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from './common/type-urls.ts';

/** SDS: credentials (gateway servers, DestinationRule credentialName) pilot serves over ADS. */
const SECRET = TypeUrl.Secret;

const FAMILIES: Record<Family, readonly Generator<PushContext>[]> = {
  sidecar: SIDECAR_GENERATORS,
  router: ROUTER_GENERATORS,
  grpc: GRPC_GENERATORS,
};

/** The generators serving `proxy`, by type URL (LDS, RDS, CDS, EDS). */
export function generatorsFor(proxy: Proxy): Map<string, Generator<PushContext>> {
  return new Map(FAMILIES[familyOf(proxy)].map((g) => [g.typeUrl, g]));
}

/** One generator per type URL that picks the proxy's family at generation time. */
export function meshGenerators(): Generator<PushContext>[] {
  return [LISTENER, ROUTE_CONFIGURATION, CLUSTER, CLUSTER_LOAD_ASSIGNMENT, SECRET].map(
    (typeUrl) => ({
      typeUrl,
      generate(push: PushContext, proxy: Proxy, names: readonly string[]) {
        const generator = generatorsFor(proxy).get(typeUrl);
        return generator ? generator.generate(push, proxy, names) : [];
      },
    }),
  );
}

export { familyOf };
export type { Family };
