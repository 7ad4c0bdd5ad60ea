// The capture listeners: virtualOutbound passes unknown destinations through or drops
// them, virtualInbound has one chain per workload port (HTTP or TCP by the service
// port's protocol) and its inbound clusters speak the app's protocol.
import { describe, expect, it } from 'vitest';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';

const s = scenarioFromYaml(`
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: default}
spec:
  clusterIP: 10.96.0.60
  selector: {app: app}
  ports: [{name: grpc, port: 7070, targetPort: 17070}, {name: tcp-raw, port: 9000, targetPort: 19000}]
---
apiVersion: v1
kind: Pod
metadata: {name: app-1, namespace: default, labels: {app: app}}
spec: {containers: [{name: app}]}
status: {phase: Running, podIP: 10.1.0.60}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: app-x, namespace: default, labels: {kubernetes.io/service-name: app}}
addressType: IPv4
ports: [{name: grpc, port: 17070}, {name: tcp-raw, port: 19000}]
endpoints: [{addresses: [10.1.0.60], conditions: {ready: true}, targetRef: {kind: Pod, name: app-1, namespace: default}}]
---
kind: TestMesh
mesh: {outboundTrafficPolicy: REGISTRY_ONLY}
---
kind: TestProxy
name: app
node: {id: sidecar~10.1.0.60~app-1.default~default.svc.cluster.local, metadata: {NAMESPACE: default, LABELS: {app: app}}}
`);

type Chain = {
  name?: string;
  filter_chain_match?: {
    destination_port?: { value: number };
    transport_protocol?: string;
    application_protocols?: string[];
  };
  filters: { name: string; typed_config: Record<string, unknown> }[];
};

describe('capture listeners', () => {
  it('drops unknown outbound destinations under REGISTRY_ONLY', () => {
    const out = named(resourcesOf(s, 'lds'), 'virtualOutbound');
    const pass = (out.filter_chains as Chain[]).find((c) => c.name === 'PassthroughFilterChain')!;
    expect(pass.filters[0]!.typed_config.cluster).toBe('BlackHoleCluster');
  });

  it('matches inbound chains on the workload port, HTTP or TCP by protocol', () => {
    const inbound = named(resourcesOf(s, 'lds'), 'virtualInbound');
    const byPort = Object.fromEntries(
      (inbound.filter_chains as Chain[])
        .filter((c) => c.filter_chain_match?.destination_port)
        .map((c) => [c.filter_chain_match!.destination_port!.value, c.filters.at(-1)!.name]),
    );
    expect(byPort).toEqual({
      15006: 'envoy.filters.network.tcp_proxy',
      17070: 'envoy.filters.network.http_connection_manager',
      19000: 'envoy.filters.network.tcp_proxy',
    });
    // A TCP port's chain opens with Istio's metadata exchange (peer workload of TCP connections).
    const tcp = (inbound.filter_chains as Chain[]).find(
      (c) => c.filter_chain_match?.destination_port?.value === 19000,
    )!;
    expect(tcp.filters[0]!.name).toBe('istio.metadata_exchange');
  });

  it('sends plaintext HTTP to undeclared ports through an HCM to InboundPassthroughCluster, as Istio', () => {
    const inbound = named(resourcesOf(s, 'lds'), 'virtualInbound');
    const passthrough = (inbound.filter_chains as Chain[]).filter(
      (c) => !c.filter_chain_match?.destination_port,
    );
    expect(passthrough.map((c) => [c.filter_chain_match, c.filters.at(-1)!.name])).toEqual([
      [
        { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] },
        'envoy.filters.network.http_connection_manager',
      ],
      [{ transport_protocol: 'raw_buffer' }, 'envoy.filters.network.tcp_proxy'],
      [undefined, 'envoy.filters.network.tcp_proxy'],
    ]);
    const hcm = passthrough[0]!.filters.at(-1)!.typed_config as {
      route_config: { virtual_hosts: { routes: { route: { cluster: string } }[] }[] };
    };
    expect(hcm.route_config.virtual_hosts[0]!.routes[0]!.route.cluster).toBe(
      'InboundPassthroughCluster',
    );
    for (const c of passthrough.slice(1))
      expect(c.filters.at(-1)!.typed_config.cluster).toBe('InboundPassthroughCluster');
  });

  it('sniffs for HTTP only on undeclared ports: http_inspector is off for 15006 and workload ports', () => {
    const inbound = named(resourcesOf(s, 'lds'), 'virtualInbound');
    const filters = inbound.listener_filters as { name: string; filter_disabled?: unknown }[];
    const http = filters.find((f) => f.name === 'envoy.filters.listener.http_inspector')!;
    expect(http.filter_disabled).toEqual({
      or_match: {
        rules: [15006, 17070, 19000].map((p) => ({
          destination_port_range: { start: p, end: p + 1 },
        })),
      },
    });
    expect(inbound.continue_on_listener_filters_timeout).toBe(true);
  });

  it('forwards gRPC to the app over HTTP/2 from 127.0.0.6 to 127.0.0.1', () => {
    const c = named(resourcesOf(s, 'cds'), 'inbound|17070||');
    expect(c.typed_extension_protocol_options).toMatchObject({
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        explicit_http_config: { http2_protocol_options: {} },
      },
    });
    expect(c.upstream_bind_config).toEqual({
      source_address: { address: '127.0.0.6', port_value: 0 },
    });
    expect(c.load_assignment).toMatchObject({
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: '127.0.0.1', port_value: 17070 } },
              },
            },
          ],
        },
      ],
    });
  });
});
