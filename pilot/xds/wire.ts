// Discovery responses serialized from the resources' encodings. Every resource
// is already protobuf bytes (encode.ts); handing proto-loader an object with
// thousands of Anys makes protobufjs walk and re-frame each of them for every
// proxy (a quarter of an initial sync at a thousand services). The response
// is those bytes with a few framed fields around them, so it is assembled
// here (written by hand: no library frames pre-encoded submessages) and the
// ADS service serializes such responses by themselves.
// Field numbers: envoy/service/discovery/v3/discovery.proto.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { adsServiceDefinition } from '../../api/envoy/registry.ts';
import type { EncodedResource } from './encode.ts';
import {
  Writer,
  anySize,
  controlPlaneSize,
  fieldSize,
  optionalString,
  stringSize,
} from './wire-format.ts';
import { keptSection } from './wire-sections.ts';

/**
 * A response of known size, serialized only when gRPC sends it. gRPC copies
 * the serialized bytes into its own frame before its serialize call returns
 * (grpc-js ServerInterceptingCall.serializeMessage), so every response is
 * written into one reused buffer: at a few MiB per response and hundreds of
 * proxies, a fresh buffer each (page faults, external memory, GC) costs as
 * much as the copying.
 */
export class WireResponse {
  readonly size: number;
  readonly #write: (w: Writer) => void;
  /** Serializes without copying the bulk (wire-sections.ts); valid until the next call. */
  readonly inPlace?: () => Buffer;

  constructor(size: number, write: (w: Writer) => void, inPlace?: () => Buffer) {
    this.size = size;
    this.#write = write;
    this.inPlace = inPlace;
  }

  /** The bytes in `into` (a view of its first `size` bytes), or in a new buffer. */
  serialize(into?: Buffer): Buffer {
    const buf =
      into && into.length >= this.size
        ? into.subarray(0, this.size)
        : Buffer.allocUnsafe(this.size);
    const w = new Writer(buf);
    this.#write(w);
    if (w.pos !== this.size) throw new Error(`wire: wrote ${w.pos} of ${this.size} bytes`);
    return buf;
  }
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** Serializes into the shared buffer, growing it to the largest response seen. */
function serializeShared(response: WireResponse): Buffer {
  if (response.inPlace) return response.inPlace();
  if (scratch.length < response.size)
    scratch = Buffer.allocUnsafe(Math.max(response.size, scratch.length * 2));
  return response.serialize(scratch);
}

export interface ResponseHeader {
  version: string;
  typeUrl: string;
  nonce: string;
  identifier: string;
}

/** DiscoveryResponse { version_info = 1; type_url = 4; nonce = 5; control_plane = 6 }: all but the resources. */
function sotwHead(h: ResponseHeader): { size: number; write: (w: Writer) => void } {
  const cp = controlPlaneSize(h.identifier);
  return {
    size:
      optionalString(1, h.version) +
      optionalString(4, h.typeUrl) +
      optionalString(5, h.nonce) +
      fieldSize(6, cp),
    write: (w) => {
      w.string(1, h.version);
      w.string(4, h.typeUrl);
      w.string(5, h.nonce);
      w.head(6, cp);
      w.string(1, h.identifier);
    },
  };
}

/**
 * DiscoveryResponse with `resources = 2` (Any) after the other fields (a
 * parser takes fields in any order). A list many proxies get is framed once
 * and the rest written in front of it in place (wire-sections.ts).
 */
export function sotwResponse(
  h: ResponseHeader,
  resources: readonly EncodedResource[],
): WireResponse {
  const head = sotwHead(h);
  const section = keptSection(resources, head.size);
  if (section) {
    const body = section.bytes();
    return new WireResponse(
      head.size + body.length,
      (w) => {
        head.write(w);
        w.buf.set(body, w.pos);
        w.pos += body.length;
      },
      () => section.withHead(head.size, head.write),
    );
  }
  let size = head.size;
  for (const r of resources) size += fieldSize(2, anySize(r.any));
  return new WireResponse(size, (w) => {
    head.write(w);
    for (const r of resources) w.any(2, r.any);
  });
}

/** Resource { version = 1; resource = 2 (Any); name = 3 } */
const deltaResourceSize = (r: EncodedResource) =>
  optionalString(1, r.version) + fieldSize(2, anySize(r.any)) + optionalString(3, r.name);

/**
 * DeltaDiscoveryResponse { system_version_info = 1; resources = 2 (Resource);
 * type_url = 4; nonce = 5; removed_resources = 6; control_plane = 7 }
 */
export function deltaResponse(
  h: ResponseHeader,
  resources: readonly EncodedResource[],
  removed: readonly string[],
): WireResponse {
  const cp = controlPlaneSize(h.identifier);
  let size =
    optionalString(1, h.version) +
    optionalString(4, h.typeUrl) +
    optionalString(5, h.nonce) +
    fieldSize(7, cp);
  for (const r of resources) size += fieldSize(2, deltaResourceSize(r));
  // A repeated string is written even when empty: each element is one field.
  for (const name of removed) size += stringSize(6, name);
  return new WireResponse(size, (w) => {
    w.string(1, h.version);
    for (const r of resources) {
      w.head(2, deltaResourceSize(r));
      w.string(1, r.version);
      w.any(2, r.any);
      w.string(3, r.name);
    }
    w.string(4, h.typeUrl);
    w.string(5, h.nonce);
    for (const name of removed) {
      w.head(6, Buffer.byteLength(name));
      w.pos += w.buf.write(name, w.pos);
    }
    w.head(7, cp);
    w.string(1, h.identifier);
  });
}

/**
 * The ADS service definition where responses built here (WireResponse) are
 * serialized by themselves; other values go through proto-loader as before.
 */
export function adsServiceWithRawResponses(): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(adsServiceDefinition())) {
    const serialize = method.responseSerialize;
    out[name] = {
      ...method,
      responseSerialize: (value: unknown) =>
        value instanceof WireResponse ? serializeShared(value) : serialize(value as never),
    };
  }
  return out;
}
