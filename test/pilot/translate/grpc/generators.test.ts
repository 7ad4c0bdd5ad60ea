// The proxyless gRPC family's output must be accepted by a real gRPC xDS client:
// every resource of the proxyless-grpc scenario goes through grpc-js-xds's own
// resource decoders and validators (the code a grpc-js client runs on each
// DiscoveryResponse), plus name resolution as a client requests names.
import { beforeAll, describe, expect, it } from 'vitest';
import { register } from '@grpc/grpc-js-xds';
import { ListenerResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type.js';
import { RouteConfigurationResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/route-config-resource-type.js';
import { ClusterResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/cluster-resource-type.js';
import { EndpointResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/endpoint-resource-type.js';
import type { XdsDecodeContext } from '@grpc/grpc-js-xds/build/src/xds-resource-type/xds-resource-type.js';
import { encodeResource } from '../../../../api/envoy/registry.ts';
import { generatorsFor } from '../../../../pilot/translate/index.ts';
import { LISTENER, ROUTE_CONFIGURATION } from '../../../../pilot/translate/common/type-urls.ts';
import { generate, loadScenario } from '../support/scenario.ts';

// What a gRPC bootstrap with Istio's certificate provider "default" gives the decoder.
const context = {
  server: {},
  bootstrap: { certificateProviders: { default: { plugin_name: 'file_watcher', config: {} } } },
} as unknown as XdsDecodeContext;

const decoders = {
  lds: ListenerResourceType.get(),
  rds: RouteConfigurationResourceType.get(),
  cds: ClusterResourceType.get(),
  eds: EndpointResourceType.get(),
};

beforeAll(() => register()); // registers the router and fault filters the validators look up

describe('proxyless gRPC resources', () => {
  it('are all accepted by the grpc-js-xds decoders', () => {
    const { push, proxies } = loadScenario('proxyless-grpc');
    const generated = generate(push, proxies[0]!);
    let count = 0;
    for (const [short, decoder] of Object.entries(decoders) as [
      keyof typeof decoders,
      (typeof decoders)[keyof typeof decoders],
    ][]) {
      for (const resource of generated[short]) {
        const any = encodeResource(resource);
        const result = decoder.decode(context, { type_url: any.type_url, value: any.value });
        expect(result.error, `${short} ${result.name}`).toBeUndefined();
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(6);
  });

  it('would catch what a gRPC client rejects (an Envoy sidecar listener with use_original_dst)', () => {
    const { push } = loadScenario('proxyless-grpc');
    const sidecar = {
      ...loadScenario('proxyless-grpc').proxies[0]!.proxy,
      generator: 'envoy' as const,
    };
    const listener = generatorsFor(sidecar)
      .get(LISTENER)!
      .generate(push, sidecar, ['virtualOutbound'])[0]!.resource;
    const any = encodeResource(listener);
    expect(
      decoders.lds.decode(context, { type_url: any.type_url, value: any.value }).error,
    ).toMatch(/use_original_dst/);
  });

  it('answers a listener requested by short, namespaced and full name under the requested name', () => {
    const { push, proxies } = loadScenario('proxyless-grpc');
    const lds = generatorsFor(proxies[0]!.proxy).get(LISTENER)!;
    const names = [
      'echo:7070',
      'echo.default:7070',
      'echo.default.svc:7070',
      'echo.default.svc.cluster.local:7070',
      'missing:7070',
      'echo:9999',
    ];
    const out = lds.generate(push, proxies[0]!.proxy, names);
    expect(out.map((r) => r.name).sort()).toEqual([
      'echo.default.svc.cluster.local:7070',
      'echo.default.svc:7070',
      'echo.default:7070',
      'echo:7070',
    ]);
    for (const r of out) {
      const hcm = (
        r.resource.api_listener as { api_listener: { rds: { route_config_name: string } } }
      ).api_listener;
      expect(hcm.rds.route_config_name).toBe('outbound|7070||echo.default.svc.cluster.local');
    }
  });

  it('gives a portless listener name one listener per port', () => {
    const { push, proxies } = loadScenario('proxyless-grpc');
    const out = generatorsFor(proxies[0]!.proxy)
      .get(LISTENER)!
      .generate(push, proxies[0]!.proxy, ['echo']);
    expect(out.map((r) => r.name)).toEqual(['echo:7070']);
  });

  it('builds no route configuration for a name that is not host:port of a known service', () => {
    const { push, proxies } = loadScenario('proxyless-grpc');
    const out = generatorsFor(proxies[0]!.proxy)
      .get(ROUTE_CONFIGURATION)!
      .generate(push, proxies[0]!.proxy, ['echo', 'nothing.default.svc.cluster.local:7070']);
    expect(out).toEqual([]);
  });
});
