// What the xDS client needs from one ADS stream, whichever variant (SotW or delta)
// carries it, plus the wire helpers both variants share.
import type * as grpc from '@grpc/grpc-js';
import { structForLoader } from '../../api/envoy/loader-struct.ts';
import type { TypeState } from './type-state.ts';
import type { RawResource } from './xds-decode.ts';
import type { NodeIdentity } from './node-identity.ts';

/** One response, normalised across variants. */
export interface StreamUpdate {
  typeUrl: string;
  nonce: string;
  /** SotW version_info, or delta system_version_info. */
  version: string;
  resources: RawResource[];
  /** Delta removed_resources; always empty for SotW. */
  removed: string[];
  /** True for delta responses (resources are changes, not a set). */
  incremental: boolean;
}

export interface StreamHandlers {
  onUpdate(update: StreamUpdate): void;
  /** The stream ended (error, status or server end); called once. */
  onClose(reason: string): void;
}

export interface AdsStream {
  /** Sends the type's subscription: its first request on this stream, or a change of names. */
  subscribe(type: TypeState): void;
  /** Accepts the response with `nonce` (type.ackedVersion already holds its version). */
  ack(type: TypeState, nonce: string): void;
  /** Rejects the response with `nonce`; type.ackedVersion still holds the last good version. */
  nack(type: TypeState, nonce: string, message: string): void;
  close(): void;
}

/** google.rpc.Code INVALID_ARGUMENT, what Envoy puts in error_detail when it rejects config. */
export const INVALID_ARGUMENT = 3;

/**
 * google.protobuf.Struct as @grpc/proto-loader wants it. protobufjs bundles its own
 * Struct definition with camelCase names whatever keepCase says, so snake_case
 * value fields would be dropped silently; the registry's helper knows the spelling.
 */
export function structFromJson(obj: Record<string, unknown>): ReturnType<typeof structForLoader> {
  return structForLoader(obj);
}

/** The Node as the request message wants it (metadata as a Struct). */
export function wireNode(node: NodeIdentity): Record<string, unknown> {
  return { ...node, metadata: structFromJson(node.metadata) };
}

/** The gRPC half both variants share: one bidi call, the Node on its first request. */
export interface AdsCall {
  /** Writes a request; the first one of the stream carries the Node. Dropped once closed. */
  send(request: Record<string, unknown>): void;
  /** Cancels the call without reporting onClose (the client closed it). */
  close(): void;
}

/**
 * Opens `method` (StreamAggregatedResources or DeltaAggregatedResources) on
 * `client`. Responses go to `onData` until the stream ends; the end, whatever its
 * cause, reaches handlers.onClose once, never after close().
 */
export function openAdsCall<Response>(
  client: grpc.Client,
  method: 'StreamAggregatedResources' | 'DeltaAggregatedResources',
  node: Record<string, unknown>,
  handlers: StreamHandlers,
  onData: (response: Response) => void,
): AdsCall {
  type Duplex = grpc.ClientDuplexStream<Record<string, unknown>, Response>;
  const open = (client as unknown as Record<typeof method, () => Duplex>)[method];
  const call = open.call(client);
  let closed = false;
  let nodeSent = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  call.on('data', (res: Response) => {
    if (!closed) onData(res);
  });
  call.on('error', (err: grpc.ServiceError) =>
    finish(`stream error: ${err.details || err.message}`),
  );
  call.on('end', () => finish('stream ended by the server'));
  return {
    send(request) {
      if (closed) return;
      if (!nodeSent) {
        request.node = node;
        nodeSent = true;
      }
      call.write(request);
    },
    close() {
      if (closed) return;
      closed = true;
      call.cancel();
    },
  };
}
