import { describe, expect, it } from 'vitest';
import {
  edsRefOfCluster,
  rdsRefsOfListener,
  sdsRefsOf,
} from '../../../sidecar/agent/resource-refs.ts';
import { edsCluster, httpListener, staticCluster } from './support/fixtures.ts';

describe('resource references', () => {
  it('names the EDS resource of an EDS cluster (service_name, else the cluster name) with its fetch timeout', () => {
    expect(
      edsRefOfCluster(edsCluster('a', { serviceName: 'svc-a', initialFetchTimeout: '2.5s' })),
    ).toEqual({
      name: 'svc-a',
      initialFetchTimeoutMs: 2500,
    });
    const plain = edsCluster('b');
    delete (plain.eds_cluster_config as Record<string, unknown>).service_name;
    expect(edsRefOfCluster(plain)?.name).toBe('b');
    expect(edsRefOfCluster(staticCluster('c', '127.0.0.1', 80))).toBeUndefined();
  });

  it('finds the route config names of HTTP connection managers in every filter chain', () => {
    const listener = httpListener(80, 'http.80');
    listener.default_filter_chain = (listener.filter_chains as unknown[])[0];
    (listener.filter_chains as unknown[]).push(
      (httpListener(80, 'other').filter_chains as unknown[])[0],
    );
    expect(rdsRefsOfListener(listener).map((r) => r.name)).toEqual(['http.80', 'other', 'http.80']);
  });

  it('collects only ADS-sourced SDS secret names', () => {
    const cluster = edsCluster('a', { sdsSecret: 'default' });
    const tls = (
      cluster.transport_socket as { typed_config: { common_tls_context: Record<string, unknown> } }
    ).typed_config;
    tls.common_tls_context.validation_context_sds_secret_config = {
      name: 'ROOTCA',
      sds_config: {
        api_config_source: {
          api_type: 'GRPC',
          grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
        },
      },
    };
    expect(sdsRefsOf(cluster).map((r) => r.name)).toEqual(['default']);
  });
});
