// Incremental ADS (DeltaAggregatedResources): the client sends subscription
// changes (resource_names_subscribe / _unsubscribe), the server sends changed
// resources and removed names. A new stream announces what the client already
// holds in initial_resource_versions so the server sends only what changed
// (xds_protocol#incremental-xds). A wildcard type's first request subscribes to
// nothing by name (the legacy wildcard spelling every server understands).
import type * as grpc from '@grpc/grpc-js';
import type { AdsStream, StreamHandlers } from './ads-stream.ts';
import { INVALID_ARGUMENT, openAdsCall } from './ads-stream.ts';
import type { TypeState } from './type-state.ts';
import type { RawResource } from './xds-decode.ts';

interface DeltaResource {
  name?: string;
  version?: string;
  resource?: { type_url?: string; value?: Buffer };
}

interface DeltaDiscoveryResponse {
  system_version_info?: string;
  resources?: DeltaResource[];
  type_url?: string;
  removed_resources?: string[];
  nonce?: string;
}

export function openDeltaStream(
  client: grpc.Client,
  node: Record<string, unknown>,
  handlers: StreamHandlers,
): AdsStream {
  const call = openAdsCall<DeltaDiscoveryResponse>(
    client,
    'DeltaAggregatedResources',
    node,
    handlers,
    (res) => {
      const resources: RawResource[] = [];
      for (const r of res.resources ?? []) {
        // A Resource without a body is a TTL heartbeat: the held copy stays valid.
        if (!r.resource) continue;
        resources.push({
          name: r.name,
          version: r.version ?? '',
          any: { type_url: r.resource.type_url ?? '', value: r.resource.value ?? Buffer.alloc(0) },
        });
      }
      handlers.onUpdate({
        typeUrl: res.type_url ?? '',
        nonce: res.nonce ?? '',
        version: res.system_version_info ?? '',
        resources,
        removed: res.removed_resources ?? [],
        incremental: true,
      });
    },
  );
  const send = call.send;
  /** What this stream has subscribed so far, per type. */
  const sent = new Map<string, Set<string>>();

  return {
    subscribe(type: TypeState) {
      const wanted = new Set(type.subscription());
      const before = sent.get(type.typeUrl);
      if (!before) {
        // An empty first request for a named type would read as a wildcard subscription.
        if (!type.hasSubscription()) return;
        const initial: Record<string, string> = {};
        for (const [name, entry] of type.resources) initial[name] = entry.version;
        sent.set(type.typeUrl, wanted);
        send({
          type_url: type.typeUrl,
          resource_names_subscribe: [...wanted],
          initial_resource_versions: initial,
        });
        return;
      }
      const subscribe = [...wanted].filter((n) => !before.has(n));
      const unsubscribe = [...before].filter((n) => !wanted.has(n));
      if (subscribe.length === 0 && unsubscribe.length === 0) return;
      sent.set(type.typeUrl, wanted);
      send({
        type_url: type.typeUrl,
        resource_names_subscribe: subscribe,
        resource_names_unsubscribe: unsubscribe,
      });
    },
    ack(type: TypeState, nonce: string) {
      send({ type_url: type.typeUrl, response_nonce: nonce });
    },
    nack(type: TypeState, nonce: string, message: string) {
      send({
        type_url: type.typeUrl,
        response_nonce: nonce,
        error_detail: { code: INVALID_ARGUMENT, message },
      });
    },
    close: call.close,
  };
}
