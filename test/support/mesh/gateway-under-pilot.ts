// A real pilot in file mode over `configDir` and Petrel's gateway proxy (router role,
// labels istio=ingressgateway) configured only by it, in this process: the setup the
// gateway end-to-end tests share. Resolves once the gateway reports ready.
import { startPilot, type RunningPilot } from '../../../pilot/main.ts';
import type { MeshConfig } from '../../../pilot/model/types.ts';
import type { Agent } from '../../../sidecar/agent/agent.ts';
import { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';
import { closeTestAgent, startTestAgent, untilAgentReady } from './test-agent.ts';

export interface GatewayUnderPilot {
  pilot: RunningPilot;
  agent: Agent;
  dataPlane: ProxyDataPlane;
  stop(): Promise<void>;
}

// A port free right now, for a process or server told its port before it binds.
export { freePort } from '../../../bench/support/free-port.ts';

export async function startGatewayUnderPilot(
  configDir: string,
  options: { mesh?: Partial<MeshConfig> } = {},
): Promise<GatewayUnderPilot> {
  const pilot = await startPilot({
    configDir,
    mesh: options.mesh,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  const dataPlane = new ProxyDataPlane();
  const agent = await startTestAgent({
    xdsAddress: `127.0.0.1:${pilot.xdsPort}`,
    dataPlane,
    identity: {
      role: 'router',
      podName: 'gw-1',
      namespace: 'default',
      ips: ['127.0.0.1'],
      labels: { istio: 'ingressgateway' },
    },
  });
  const stop = async () => {
    await closeTestAgent(agent);
    await dataPlane.close();
    await pilot.stop();
  };
  try {
    await untilAgentReady(agent, 'gateway');
  } catch (err) {
    await stop();
    throw err;
  }
  return { pilot, agent, dataPlane, stop };
}

/**
 * A Gateway `gw` (selector istio=ingressgateway, one plain HTTP server for every
 * host on `port`) and a VirtualService `web` bound to it whose `http:` list is
 * `httpRoutes` (block YAML lines indented by four spaces), both in `default`.
 */
export function httpGatewayYaml(port: number, httpRoutes: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: ${port}, name: http, protocol: HTTP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: ['*']
  gateways: [gw]
  http:
${httpRoutes}`;
}
