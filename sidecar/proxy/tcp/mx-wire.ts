// The bytes of Istio's TCP metadata exchange ("MX", istio/proxy
// source/extensions/filters/network/metadata_exchange): once TLS has negotiated the
// ALPN `istio-peer-exchange`, each side writes an 8-byte header — magic 0x3D230467
// and the payload length, both big-endian uint32 — then the payload, a serialized
// google.protobuf.Any holding a Struct that describes the sender. Anything else in
// front of the stream (a peer without the filter) is application data and must be
// passed on untouched. Written by hand: the framing is two integers, and no npm
// package speaks this Istio-specific protocol.

export const MX_MAGIC = 0x3d230467;
export const MX_HEADER_BYTES = 8;
/** A payload larger than this is not a node's metadata: treat the stream as not speaking MX. */
export const MX_MAX_PAYLOAD = 1 << 20;

/** The header and payload one side writes. */
export function mxFrame(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(MX_HEADER_BYTES);
  head.writeUInt32BE(MX_MAGIC, 0);
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

export type MxParse =
  | { state: 'more' }
  /** `payload` is the Any's bytes; `rest` is application data that followed it. */
  | { state: 'done'; payload: Buffer; rest: Buffer }
  /** No MX header in front: every byte seen is application data (`rest`). */
  | { state: 'invalid'; rest: Buffer };

/** Reads one MX header and payload from the front of a stream, chunk by chunk. */
export class MxParser {
  private acc: Buffer = Buffer.alloc(0);

  /** Everything taken so far (what goes back to the stream when it ends mid-header). */
  get buffered(): Buffer {
    return this.acc;
  }

  push(chunk: Buffer): MxParse {
    this.acc = this.acc.length === 0 ? chunk : Buffer.concat([this.acc, chunk]);
    const a = this.acc;
    // Envoy waits for the whole header; a wrong magic is known from 4 bytes on.
    if (a.length >= 4 && a.readUInt32BE(0) !== MX_MAGIC) return { state: 'invalid', rest: a };
    if (a.length < MX_HEADER_BYTES) return { state: 'more' };
    const size = a.readUInt32BE(4);
    if (size > MX_MAX_PAYLOAD) return { state: 'invalid', rest: a };
    if (a.length < MX_HEADER_BYTES + size) return { state: 'more' };
    return {
      state: 'done',
      payload: a.subarray(MX_HEADER_BYTES, MX_HEADER_BYTES + size),
      rest: a.subarray(MX_HEADER_BYTES + size),
    };
  }
}
