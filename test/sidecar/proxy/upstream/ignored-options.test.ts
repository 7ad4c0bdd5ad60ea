// Fields the proxy accepts but does not act on are reported once, never silently
// dropped, and never reject the cluster (pilot sends max_connection_duration for a
// DestinationRule's tcp.maxConnectionDuration to every proxy that sees the host).
import { describe, expect, it } from 'vitest';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { apply, staticCluster, TypeUrl } from '../support/envoy.ts';

const withCommonOptions = (common: Record<string, unknown>) =>
  staticCluster('db', [['127.0.0.1', 5432]], {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        common_http_protocol_options: common,
        explicit_http_config: { http_protocol_options: {} },
      },
    },
  });

describe('HTTP protocol options the proxy ignores', () => {
  it('applies the cluster and reports each ignored field once', async () => {
    const warnings: string[] = [];
    const dp = new ProxyDataPlane({ onConfigWarning: (l) => warnings.push(l) });
    try {
      const cluster = withCommonOptions({
        idle_timeout: '30s',
        max_connection_duration: '60s',
        headers_with_underscores_action: 'REJECT_REQUEST',
      });
      expect(await apply(dp, TypeUrl.Cluster, [cluster])).toEqual([]);
      expect(dp.clusters.names()).toEqual(['db']);
      const prefix =
        'db: typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].common_http_protocol_options';
      expect(warnings).toEqual([
        `${prefix}.max_connection_duration: not supported by Petrel's proxy (ignored)`,
        `${prefix}.headers_with_underscores_action: not supported by Petrel's proxy (ignored)`,
      ]);
      // The same config again (every push) does not repeat the lines.
      expect(await apply(dp, TypeUrl.Cluster, [cluster])).toEqual([]);
      expect(warnings).toHaveLength(2);
    } finally {
      dp.close();
    }
  });
});
