// Istio's HTTP metadata exchange, so each side of a call knows the other's workload:
// the client sidecar adds `x-envoy-peer-metadata-id` (its node id) and
// `x-envoy-peer-metadata` (base64 of a deterministically serialized
// google.protobuf.Struct, istio/proxy peer_metadata filter) to the request; the
// server sidecar reads and strips them, and answers with its own on the response
// only when the request carried them; the client reads and strips those. Same
// bytes as Istio's proxies, so a real istio-proxy on the other side understands us.
//
// The TCP exchange (ALPN `istio-peer-exchange`, a length-prefixed Any in the first
// bytes) is tcp-peer-exchange.ts with the data path's proxy/tcp/metadata-exchange.ts.
import protobuf from 'protobufjs';
import type { HeaderMap } from '../proxy/upstream/types.ts';
import { errorLine, TelemetryError } from './errors.ts';
import { workloadFromPeerStruct, workloadToPeerStruct, type WorkloadInfo } from './workload.ts';

export const PEER_METADATA_HEADER = 'x-envoy-peer-metadata';
export const PEER_METADATA_ID_HEADER = 'x-envoy-peer-metadata-id';

const wellKnown = new Map<string, protobuf.Type>();

/**
 * A google.protobuf type from the definitions protobufjs ships (struct.proto,
 * any.proto): telemetry needs no Envoy registry for them.
 */
export function wellKnownType(file: string, name: string): protobuf.Type {
  let t = wellKnown.get(name);
  if (!t) {
    const json = protobuf.common.get(`google/protobuf/${file}`);
    if (!json)
      throw new TelemetryError(
        'PETREL_TELEMETRY_CONFIG',
        `protobufjs lacks google/protobuf/${file}`,
      );
    t = protobuf.Root.fromJSON(json).lookupType(name);
    wellKnown.set(name, t);
  }
  return t;
}

const struct = (): protobuf.Type => wellKnownType('struct.proto', 'google.protobuf.Struct');

type PbValue = Record<string, unknown>;

// Keys sorted at every level: what protobuf's deterministic serialization does with map entries.
function toPbValue(v: unknown): PbValue {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toPbValue) } };
  return { structValue: toPbStruct(v as Record<string, unknown>) };
}

function toPbStruct(o: Record<string, unknown>): { fields: Record<string, PbValue> } {
  const fields: Record<string, PbValue> = {};
  for (const k of Object.keys(o).sort()) fields[k] = toPbValue(o[k]);
  return { fields };
}

function fromPbValue(v: PbValue): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return fromPbStruct(v.structValue as PbValue);
  if ('listValue' in v)
    return ((v.listValue as { values?: PbValue[] }).values ?? []).map(fromPbValue);
  return null;
}

function fromPbStruct(s: PbValue): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (s.fields ?? {}) as Record<string, PbValue>;
  for (const [k, v] of Object.entries(fields)) out[k] = fromPbValue(v);
  return out;
}

/** Base64 (standard alphabet, padded) of the Struct's deterministic protobuf bytes. */
export function encodePeerMetadata(fields: Record<string, unknown>): string {
  const t = struct();
  return Buffer.from(t.encode(t.fromObject(toPbStruct(fields))).finish()).toString('base64');
}

/** The Struct in an x-envoy-peer-metadata value, padded or not (Istio decodes without padding). */
export function decodePeerMetadata(value: string): Record<string, unknown> {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 && value.length > 0) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_PEER_METADATA',
      `${PEER_METADATA_HEADER}: not base64`,
    );
  }
  try {
    const t = struct();
    return fromPbStruct(t.toObject(t.decode(bytes)) as PbValue);
  } catch (err) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_PEER_METADATA',
      `${PEER_METADATA_HEADER}: not a google.protobuf.Struct (${errorLine(err)})`,
    );
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface PeerMetadataOptions {
  /** This proxy's xDS node id (sent as x-envoy-peer-metadata-id). */
  nodeId: string;
  local: WorkloadInfo;
  /** Decoded peers kept by id (Istio's max_peer_cache_size default is 500). */
  maxCacheSize?: number;
  /** One line per peer whose metadata cannot be decoded (logged once per peer). */
  onError?: (line: string) => void;
}

/** One proxy's side of the exchange: its own header values, and a cache of decoded peers. */
export class PeerMetadataExchange {
  readonly id: string;
  readonly value: string;
  private readonly cache = new Map<string, WorkloadInfo | null>();
  private readonly maxCache: number;
  private readonly onError: ((line: string) => void) | undefined;

  constructor(options: PeerMetadataOptions) {
    this.id = options.nodeId;
    this.value = encodePeerMetadata(workloadToPeerStruct(options.local));
    this.maxCache = options.maxCacheSize ?? 500;
    this.onError = options.onError;
  }

  /** Adds this proxy's id and metadata (outbound requests; inbound responses to peers that sent theirs). */
  inject(headers: HeaderMap): void {
    headers[PEER_METADATA_ID_HEADER] = this.id;
    headers[PEER_METADATA_HEADER] = this.value;
  }

  /**
   * Reads and removes the peer's headers. undefined: the peer sent none; null: it
   * sent some that do not decode (metrics then say `unknown`).
   */
  extract(headers: HeaderMap): WorkloadInfo | null | undefined {
    const raw = headers[PEER_METADATA_HEADER];
    const rawId = headers[PEER_METADATA_ID_HEADER];
    if (rawId !== undefined) delete headers[PEER_METADATA_ID_HEADER];
    if (raw === undefined) return undefined;
    delete headers[PEER_METADATA_HEADER];
    const value = first(raw) ?? '';
    // Istio caches by peer id; without one the value itself is the key.
    const key = first(rawId) || value;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    let peer: WorkloadInfo | null;
    try {
      peer = workloadFromPeerStruct(decodePeerMetadata(value));
    } catch (err) {
      peer = null;
      this.onError?.(`peer ${first(rawId) ?? '(no id)'}: ${errorLine(err)}`);
    }
    if (this.cache.size >= this.maxCache) {
      // Drop the oldest quarter, as Istio's filter does, rather than one entry per miss.
      let n = Math.max(1, this.maxCache >> 2);
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--n === 0) break;
      }
    }
    this.cache.set(key, peer);
    return peer;
  }
}
