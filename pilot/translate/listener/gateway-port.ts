// Which port a gateway listener binds for a Gateway server port. Istio binds the
// target port of the gateway's own Service when one selects this proxy (Service
// port 80 → pod port 8080, so the proxy need not bind a privileged port), else the
// server port itself.
import type { BuildContext } from '../cluster/context.ts';

export function gatewayBindPort(ctx: BuildContext, serverPort: number): number {
  const mine = ctx.push
    .servicesOfProxy(ctx.proxy)
    .filter(({ endpoint }) => endpoint.servicePort === serverPort)
    .sort((a, b) =>
      a.service.hostname < b.service.hostname
        ? -1
        : a.service.hostname > b.service.hostname
          ? 1
          : 0,
    );
  return mine[0]?.endpoint.port ?? serverPort;
}
