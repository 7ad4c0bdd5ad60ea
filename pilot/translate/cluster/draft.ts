// A cluster while features are applied to it. HTTP protocol options are gathered on
// the side and packed into typed_extension_protocol_options once at the end, as
// several features (h2, idle timeout, auto SNI, …) each set one part of them.
import type { EnvoyResource } from '../types.ts';
import { CLUSTER, HTTP_PROTOCOL_OPTIONS, HTTP_PROTOCOL_OPTIONS_KEY } from '../common/type-urls.ts';

export interface HttpOptionsDraft {
  /** common_http_protocol_options fields (idle_timeout, max_requests_per_connection, …). */
  common: Record<string, unknown>;
  /** upstream_http_protocol_options fields (auto_sni, auto_san_validation). */
  upstream: Record<string, unknown>;
  /** Which upstream protocol: explicit HTTP/2, the downstream's, or unset (HTTP/1.1). */
  protocol?: 'h2' | 'downstream';
  /** http2_protocol_options fields (max_concurrent_streams). */
  http2: Record<string, unknown>;
}

export interface ClusterDraft {
  cluster: Record<string, unknown> & { name: string };
  http: HttpOptionsDraft;
}

export function newDraft(cluster: Record<string, unknown> & { name: string }): ClusterDraft {
  return { cluster, http: { common: {}, upstream: {}, http2: {} } };
}

export function isH2(draft: ClusterDraft): boolean {
  return draft.http.protocol === 'h2';
}

function hasHttpOptions(http: HttpOptionsDraft): boolean {
  return (
    http.protocol !== undefined ||
    Object.keys(http.common).length > 0 ||
    Object.keys(http.upstream).length > 0
  );
}

/** The finished Cluster resource. */
export function finishDraft(draft: ClusterDraft): EnvoyResource {
  const { cluster, http } = draft;
  if (hasHttpOptions(http)) {
    const options: Record<string, unknown> = { '@type': HTTP_PROTOCOL_OPTIONS };
    if (Object.keys(http.common).length > 0) options.common_http_protocol_options = http.common;
    if (Object.keys(http.upstream).length > 0)
      options.upstream_http_protocol_options = http.upstream;
    // Envoy requires one upstream protocol choice; HTTP/1.1 unless told otherwise.
    if (http.protocol === 'h2')
      options.explicit_http_config = { http2_protocol_options: { ...http.http2 } };
    else if (http.protocol === 'downstream') {
      options.use_downstream_protocol_config = {
        http_protocol_options: {},
        http2_protocol_options: { ...http.http2 },
      };
    } else options.explicit_http_config = { http_protocol_options: {} };
    cluster.typed_extension_protocol_options = { [HTTP_PROTOCOL_OPTIONS_KEY]: options };
  }
  return { '@type': CLUSTER, ...cluster };
}
