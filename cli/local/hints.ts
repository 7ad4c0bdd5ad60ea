// What `petrel local` prints once the mesh is up: where things are and what to try.
import type { LocalPlan } from './plan.ts';

export interface HintAddresses {
  host: string;
  dashboardPort: number;
  monitoringPort: number;
  pilotHost: string;
  configDir: string;
  capture: boolean;
}

export function hints(plan: LocalPlan, a: HintAddresses): string[] {
  const gw = `http://${a.host}:${plan.gateway.ports[0] ?? 8080}`;
  const pp = plan.pods.find((p) => p.app === 'productpage');
  const lines = [
    '',
    `The mesh is up. Dashboard: http://${a.host}:${a.dashboardPort}/   metrics: http://${a.host}:${a.dashboardPort}/metrics`,
    'Try:',
    `  curl -s ${gw}/productpage | grep -o 'Reviews served by <b>[^<]*'`,
    `  curl -s ${gw}/api/v1/products/0/reviews`,
    `  curl -s -H 'end-user: jason' ${gw}/api/v1/products/0/reviews     # jason is routed to reviews v2`,
    `  curl -s http://${a.host}:${a.dashboardPort}/metrics | grep istio_requests_total`,
    `  curl -s http://${a.pilotHost}:${a.monitoringPort}/debug/syncz    # each proxy's sync state`,
  ];
  if (pp && !a.capture)
    lines.push(
      `  curl -s -H 'Host: reviews' http://${pp.loopback}:9080/reviews/0   # as productpage: through its sidecar`,
    );
  lines.push(
    `Edit any YAML in ${a.configDir}/ and traffic follows within a second; the walkthrough in README.md has more.`,
    'Ctrl-C stops everything.',
  );
  return lines;
}
