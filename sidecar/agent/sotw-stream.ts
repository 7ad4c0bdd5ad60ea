// State-of-the-world ADS (StreamAggregatedResources): each request carries the
// type's full subscription, the last accepted version_info and the nonce it
// answers; a NACK repeats the previous version_info with error_detail set
// (xds_protocol#ack-nack-and-resource-type-instance-version). The Node goes on
// the first request of the stream only, as Envoy's set_node_on_first_message_only.
import type * as grpc from '@grpc/grpc-js';
import type { AdsStream, StreamHandlers } from './ads-stream.ts';
import { INVALID_ARGUMENT } from './ads-stream.ts';
import type { TypeState } from './type-state.ts';
import type { RawResource } from './xds-decode.ts';

interface DiscoveryResponse {
  version_info?: string;
  resources?: Array<{ type_url?: string; value?: Buffer }>;
  type_url?: string;
  nonce?: string;
}

type Duplex = grpc.ClientDuplexStream<Record<string, unknown>, DiscoveryResponse>;

export function openSotwStream(
  client: grpc.Client,
  node: Record<string, unknown>,
  handlers: StreamHandlers,
): AdsStream {
  const method = (client as unknown as { StreamAggregatedResources: () => Duplex })
    .StreamAggregatedResources;
  const call = method.call(client);
  let closed = false;
  let nodeSent = false;
  /** Types this stream has sent a request for. */
  const sent = new Set<string>();
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  call.on('data', (res: DiscoveryResponse) => {
    if (closed) return;
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
  });
  call.on('error', (err: grpc.ServiceError) =>
    finish(`stream error: ${err.details || err.message}`),
  );
  call.on('end', () => finish('stream ended by the server'));

  const send = (request: Record<string, unknown>) => {
    if (closed) return;
    if (!nodeSent) {
      request.node = node;
      nodeSent = true;
    }
    call.write(request);
  };

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
    close() {
      if (closed) return;
      closed = true;
      call.cancel();
    },
  };
}
