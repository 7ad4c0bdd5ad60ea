// The payload of Istio's TCP metadata exchange (ALPN istio-peer-exchange), telemetry's
// half of it: the data path frames and strips the bytes (proxy/tcp/metadata-exchange.ts),
// this says what they mean. Each side sends a google.protobuf.Any of a Struct with
// `x-envoy-peer-metadata` (the same workload fields as the HTTP exchange's header)
// and `x-envoy-peer-metadata-id` (the node id), as istio/proxy's filter writes it,
// so a real istio-proxy on the other end reads ours and we read its.
import type protobuf from 'protobufjs';
import type { TcpPeerExchange } from '../proxy/tcp/metadata-exchange.ts';
import { errorLine, TelemetryError } from './errors.ts';
import {
  decodePeerMetadata,
  encodePeerMetadata,
  PEER_METADATA_HEADER,
  PEER_METADATA_ID_HEADER,
  wellKnownType,
} from './peer-metadata.ts';
import { workloadFromPeerStruct, workloadToPeerStruct, type WorkloadInfo } from './workload.ts';

export const STRUCT_TYPE_URL = 'type.googleapis.com/google.protobuf.Struct';

const any = (): protobuf.Type => wellKnownType('any.proto', 'google.protobuf.Any');

/** The Any bytes one proxy sends about itself. */
export function encodeTcpPeerPayload(nodeId: string, local: WorkloadInfo): Buffer {
  const struct = Buffer.from(
    encodePeerMetadata({
      [PEER_METADATA_HEADER]: workloadToPeerStruct(local),
      ...(nodeId ? { [PEER_METADATA_ID_HEADER]: nodeId } : {}),
    }),
    'base64',
  );
  const t = any();
  return Buffer.from(t.encode(t.create({ type_url: STRUCT_TYPE_URL, value: struct })).finish());
}

/** The peer's workload; undefined when its Struct has no metadata (Envoy then sets no peer). */
export function decodeTcpPeerPayload(payload: Buffer): WorkloadInfo | undefined {
  let msg: { type_url?: string; value?: Uint8Array };
  try {
    msg = any().decode(payload) as { type_url?: string; value?: Uint8Array };
  } catch (err) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_PEER_METADATA',
      `tcp metadata exchange: not a google.protobuf.Any (${errorLine(err)})`,
    );
  }
  if (msg.type_url !== STRUCT_TYPE_URL)
    throw new TelemetryError(
      'PETREL_TELEMETRY_PEER_METADATA',
      `tcp metadata exchange: Any of ${msg.type_url || '(no type_url)'}, not ${STRUCT_TYPE_URL}`,
    );
  const fields = decodePeerMetadata(Buffer.from(msg.value ?? []).toString('base64'));
  const md = fields[PEER_METADATA_HEADER];
  if (!md || typeof md !== 'object' || Array.isArray(md)) return undefined;
  return workloadFromPeerStruct(md as Record<string, unknown>);
}

export interface TcpPeerMetadataOptions {
  nodeId: string;
  local: WorkloadInfo;
  /** Peers kept by payload (a workload sends the same bytes on every connection). */
  maxCacheSize?: number;
  /** One line per payload that does not decode. */
  onError?: (line: string) => void;
}

/** One proxy's TCP exchange: its payload, and a cache of decoded peers (null: undecodable). */
export class TcpPeerMetadata implements TcpPeerExchange {
  readonly payload: Buffer;
  private readonly cache = new Map<string, WorkloadInfo | null | undefined>();
  private readonly maxCache: number;
  private readonly onError: ((line: string) => void) | undefined;

  constructor(options: TcpPeerMetadataOptions) {
    this.payload = encodeTcpPeerPayload(options.nodeId, options.local);
    this.maxCache = options.maxCacheSize ?? 500;
    this.onError = options.onError;
  }

  peerFrom(payload: Buffer): WorkloadInfo | null | undefined {
    const key = payload.toString('latin1');
    if (this.cache.has(key)) return this.cache.get(key);
    let peer: WorkloadInfo | null | undefined;
    try {
      peer = decodeTcpPeerPayload(payload);
    } catch (err) {
      peer = null;
      this.onError?.(errorLine(err));
    }
    // Oldest entry out: the cache only saves decoding work.
    if (this.cache.size >= this.maxCache) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, peer);
    return peer;
  }
}
