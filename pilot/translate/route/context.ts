// What route translation needs besides the VirtualService: the proxy and push, the
// port the routes are built for, and which gateway names count as "this proxy".
import type { BuildContext } from '../cluster/context.ts';
import type { VirtualService } from '../../model/types.ts';

/** The name a VirtualService uses for "sidecars" in gateways lists. */
export const MESH_GATEWAY = 'mesh';

export interface RouteContext extends BuildContext {
  /** The port the route configuration serves (service port on sidecars, server port on gateways). */
  listenPort: number;
  /** `mesh` for sidecars, `namespace/name` of the Gateway for routers. */
  gatewayNames: ReadonlySet<string>;
}

/** `gw` → `vsNamespace/gw`, as Istio normalizes short gateway references. */
export function qualifyGateway(name: string, vs: VirtualService): string {
  if (name === MESH_GATEWAY || name.includes('/')) return name;
  return `${vs.metadata.namespace ?? ''}/${name}`;
}
