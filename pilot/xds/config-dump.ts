// What a proxy was last sent, decoded back to the Envoy object form and laid
// out like Envoy's admin /config_dump (envoy.admin.v3.*ConfigDump), so tools
// that read one read the other.
import { decodeAny } from '../../api/envoy/registry.ts';
import type { Connection } from './connection.ts';
import { errorMessage } from './errors.ts';
import type { Subscription } from './subscription.ts';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  SECRET_TYPE,
  pushOrder,
} from './type-urls.ts';
import type { PushSnapshot } from './types.ts';

export interface ConfigDump {
  proxy: string;
  transport: 'sotw' | 'delta';
  configs: Record<string, unknown>[];
}

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

type Entry = (
  name: string,
  version: string,
  lastUpdated: string,
  resource: unknown,
) => Record<string, unknown>;

/** Per type: the admin dump message, its list field and how one resource sits in it. */
const LAYOUT: Record<string, { type: string; list: string; entry: Entry }> = {
  [CLUSTER_TYPE]: {
    type: `${ADMIN}ClustersConfigDump`,
    list: 'dynamic_active_clusters',
    entry: (_n, version_info, last_updated, cluster) => ({ version_info, cluster, last_updated }),
  },
  [LISTENER_TYPE]: {
    type: `${ADMIN}ListenersConfigDump`,
    list: 'dynamic_listeners',
    entry: (name, version_info, last_updated, listener) => ({
      name,
      active_state: { version_info, listener, last_updated },
    }),
  },
  [ROUTE_TYPE]: {
    type: `${ADMIN}RoutesConfigDump`,
    list: 'dynamic_route_configs',
    entry: (_n, version_info, last_updated, route_config) => ({
      version_info,
      route_config,
      last_updated,
    }),
  },
  [ENDPOINT_TYPE]: {
    type: `${ADMIN}EndpointsConfigDump`,
    list: 'dynamic_endpoint_configs',
    entry: (_n, version_info, last_updated, endpoint_config) => ({
      version_info,
      endpoint_config,
      last_updated,
    }),
  },
  [SECRET_TYPE]: {
    type: `${ADMIN}SecretsConfigDump`,
    list: 'dynamic_active_secrets',
    entry: (name, version_info, last_updated, secret) => ({
      name,
      version_info,
      last_updated,
      secret,
    }),
  },
};

function decoded(any: { type_url: string; value: Uint8Array }): unknown {
  try {
    return decodeAny(any);
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

function dumpType(sub: Subscription, transport: 'sotw' | 'delta'): Record<string, unknown> {
  const lastUpdated = sub.sentAt?.toISOString() ?? '';
  const layout = LAYOUT[sub.typeUrl];
  const entries = [...sub.held()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => {
      // SotW versions a whole type; delta versions each resource.
      const version = transport === 'delta' ? r.version : (sub.sentVersion ?? '');
      const resource = decoded(r.any);
      return layout
        ? layout.entry(r.name, version, lastUpdated, resource)
        : { name: r.name, version_info: version, last_updated: lastUpdated, resource };
    });
  if (layout)
    return { '@type': layout.type, version_info: sub.sentVersion ?? '', [layout.list]: entries };
  return { type_url: sub.typeUrl, version_info: sub.sentVersion ?? '', resources: entries };
}

export function buildConfigDump<Push extends PushSnapshot>(conn: Connection<Push>): ConfigDump {
  const subs = [...conn.subs.values()].sort((a, b) => pushOrder(a.typeUrl, b.typeUrl));
  return {
    proxy: conn.proxy?.id ?? '',
    transport: conn.transport,
    configs: subs.map((s) => dumpType(s, conn.transport)),
  };
}
