// Differential xDS: Istio's own pilot-discovery and Petrel's pilot read the same
// config directory, one probe ADS client asks both for everything a sidecar
// (Envoy) and a proxyless gRPC client would get, and the parts whose meaning
// must agree are compared. Representation choices that do not change behaviour
// are folded in support/xds-views.ts; each is listed in test/interop/README.md.
// Scenarios are test/interop/scenarios/<name>/*.yaml, built from ServiceEntries
// with STATIC endpoints, which both pilots read without a cluster.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { probeXds, type ProbeNode, type XdsSnapshot } from './support/ads-probe.ts';
import { startIstioPilot, type IstioPilot } from './support/istio-pilot.ts';
import { ensurePeer } from './support/peers.ts';
import { clusterViews, endpointViews, listenerViews, routeViews } from './support/xds-views.ts';
import {
  outlierDetectionByCluster,
  proxylessClusterViews,
  proxylessListenerViews,
  proxylessRoutesByListener,
} from './support/xds-views-proxyless.ts';

const SCENARIO_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const SCENARIOS = readdirSync(SCENARIO_ROOT).sort();

const NODE_ID = 'sidecar~127.0.0.1~client.default~default.svc.cluster.local';

/** A sidecar Envoy as Istio's injector would start it (metadata Istio reads from the bootstrap). */
const SIDECAR: ProbeNode = {
  id: NODE_ID,
  cluster: 'client.default',
  metadata: {
    NAMESPACE: 'default',
    CLUSTER_ID: 'Kubernetes',
    ISTIO_VERSION: '1.31.0',
    INSTANCE_IPS: '127.0.0.1',
    SERVICE_ACCOUNT: 'client',
    WORKLOAD_NAME: 'client',
    LABELS: { app: 'client', version: 'v1' },
  },
};

/** A proxyless gRPC client, as Istio's gRPC bootstrap describes it. */
const PROXYLESS: ProbeNode = {
  id: NODE_ID,
  metadata: {
    GENERATOR: 'grpc',
    NAMESPACE: 'default',
    CLUSTER_ID: 'Kubernetes',
    INSTANCE_IPS: '127.0.0.1',
  },
};

interface Pair {
  istio: XdsSnapshot;
  petrel: XdsSnapshot;
}

let istioBinary: string;

beforeAll(() => {
  istioBinary = ensurePeer('pilot-discovery');
});

describe.each(SCENARIOS)('scenario %s: Petrel serves what Istio serves', (scenario) => {
  const configDir = join(SCENARIO_ROOT, scenario);
  let istio: IstioPilot | undefined;
  let petrel: RunningPilot | undefined;
  const petrelLog: string[] = [];
  let sidecar: Pair;
  let proxyless: Pair;

  beforeAll(async () => {
    istio = await startIstioPilot(istioBinary, configDir);
    petrel = await startPilot({
      configDir,
      host: '127.0.0.1',
      xdsPort: 0,
      monitoringPort: 0,
      debounceMs: 20,
      debounceMaxMs: 200,
      log: {
        debug: () => {},
        info: () => {},
        warn: (m) => petrelLog.push(`warn ${m}`),
        error: (m) => petrelLog.push(`error ${m}`),
      },
    });
    const petrelAddress = `127.0.0.1:${petrel.xdsPort}`;
    sidecar = {
      istio: await probeXds(istio.xdsAddress, SIDECAR, { style: 'envoy' }),
      petrel: await probeXds(petrelAddress, SIDECAR, { style: 'envoy' }),
    };
    proxyless = {
      istio: await probeXds(istio.xdsAddress, PROXYLESS, { style: 'grpc' }),
      petrel: await probeXds(petrelAddress, PROXYLESS, { style: 'grpc' }),
    };
  });

  afterAll(async () => {
    await petrel?.stop();
    await istio?.stop();
  });

  it('both pilots accept every object in the scenario', () => {
    // Istio logs a config it rejects at error level; Petrel reports it as a diagnostic.
    const istioErrors = istio!
      .log()
      .split('\n')
      .filter((l) => /\terror\t/.test(l));
    expect(istioErrors).toEqual([]);
    expect(petrel!.diagnostics()).toEqual([]);
    expect(petrelLog.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  describe('sidecar (Envoy)', () => {
    it('has the same clusters, with the same type, LB policy, circuit breakers and outlier detection', () => {
      // Istio saw the scenario's services (not only its fixed Passthrough/BlackHole clusters).
      expect(
        [...sidecar.istio.clusters.keys()].filter((n) => n.startsWith('outbound|')),
      ).not.toEqual([]);
      expect(clusterViews(sidecar.petrel)).toEqual(clusterViews(sidecar.istio));
    });

    it('has the same endpoints per cluster: addresses, weights, localities, plaintext or TLS', () => {
      expect(endpointViews(sidecar.petrel)).toEqual(endpointViews(sidecar.istio));
    });

    it('has the same listeners, each sending traffic to the same route configurations and TCP clusters', () => {
      expect(listenerViews(sidecar.petrel)).toEqual(listenerViews(sidecar.istio));
    });

    it('has the same virtual hosts, route matches and (weighted) destinations', () => {
      expect(routeViews(sidecar.petrel)).toEqual(routeViews(sidecar.istio));
    });
  });

  describe('proxyless gRPC', () => {
    it('has the same listeners (host:port) that route somewhere', () => {
      expect(Object.keys(proxylessRoutesByListener(proxyless.petrel))).toEqual(
        Object.keys(proxylessRoutesByListener(proxyless.istio)),
      );
    });

    it('reaches the same virtual hosts, route matches and destinations from each listener', () => {
      expect(proxylessRoutesByListener(proxyless.petrel)).toEqual(
        proxylessRoutesByListener(proxyless.istio),
      );
    });

    it('names route configurations as Istio does', () => {
      expect(proxylessListenerViews(proxyless.petrel)).toEqual(
        proxylessListenerViews(proxyless.istio),
      );
    });

    it('has the same clusters for the routed destinations, with the same type, LB policy and limits', () => {
      expect(proxylessClusterViews(proxyless.petrel)).toEqual(
        proxylessClusterViews(proxyless.istio),
      );
    });

    it("applies the DestinationRule's outlier detection as Istio does for a sidecar", () => {
      // Istio's grpcgen sends none; grpc-js-xds applies it, so Petrel sends what the sidecar gets.
      const names = [...proxyless.petrel.clusters.keys()];
      expect(outlierDetectionByCluster(proxyless.petrel, names)).toEqual(
        outlierDetectionByCluster(sidecar.istio, names),
      );
    });

    it('has the same endpoints per cluster', () => {
      expect(endpointViews(proxyless.petrel)).toEqual(endpointViews(proxyless.istio));
    });
  });
});
