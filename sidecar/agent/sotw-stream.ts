// State-of-the-world ADS (StreamAggregatedResources): each request carries the
// type's full subscription, the last accepted version_info and the nonce it
// answers; a NACK repeats the previous version_info with error_detail set
// (xds_protocol#ack-nack-and-resource-type-instance-version). The Node goes on
// the first request of the stream only, as Envoy's set_node_on_first_message_only.
import type * as grpc from '@grpc/grpc-js';
import type { AdsStream, StreamHandlers } from './ads-stream.ts';
import { INVALID_ARGUMENT, openAdsCall } from './ads-stream.ts';
import type { TypeState } from './type-state.ts';
import type { RawResource } from './xds-decode.ts';

interface DiscoveryResponse {
  version_info?: string;
  resources?: Array<{ type_url?: string; value?: Buffer }>;
  type_url?: string;
  nonce?: string;
}

export function openSotwStream(
  client: grpc.Client,
  node: Record<string, unknown>,
  handlers: StreamHandlers,
): AdsStream {
  const call = openAdsCall<DiscoveryResponse>(
    client,
    'StreamAggregatedResources',
    node,
    handlers,
    (res) => {
      const resources: RawResource[] = (res.resources ?? []).map((any) => ({
        any: { type_url: any.type_url ?? '', value: any.value ?? Buffer.alloc(0) },
      }));
      handlers.onUpdate({
        typeUrl: res.type_url ?? '',
        nonce: res.nonce ?? '',
        version: res.version_info ?? '',
        resources,
        removed: [],
        incremental: false,
      });
    },
  );
  const send = call.send;
  /** Types this stream has sent a request for. */
  const sent = new Set<string>();

  return {
    subscribe(type: TypeState) {
      // An empty first request for a named type would read as a wildcard subscription.
      if (!sent.has(type.typeUrl) && !type.hasSubscription()) return;
      sent.add(type.typeUrl);
      send({
        version_info: type.ackedVersion,
        resource_names: type.subscription(),
        type_url: type.typeUrl,
        response_nonce: type.nonce,
      });
    },
    ack(type: TypeState, nonce: string) {
      send({
        version_info: type.ackedVersion,
        resource_names: type.subscription(),
        type_url: type.typeUrl,
        response_nonce: nonce,
      });
    },
    nack(type: TypeState, nonce: string, message: string) {
      send({
        version_info: type.ackedVersion,
        resource_names: type.subscription(),
        type_url: type.typeUrl,
        response_nonce: nonce,
        error_detail: { code: INVALID_ARGUMENT, message },
      });
    },
    close: call.close,
  };
}
