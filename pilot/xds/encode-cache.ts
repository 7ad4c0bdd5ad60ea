// Encodings kept across pushes, by content. Every push builds a new
// PushContext, so generators hand out new objects even where nothing changed
// (a VirtualService edit leaves 3,000 clusters and their endpoints as they
// were); encoding those again costs more than the rest of a push together.
// The object form is plain JSON, so its text names its content: equal text,
// equal bytes. Two generations bound the memory: entries unused for a
// generation's worth of encodings are dropped.
//
// A RouteConfiguration is encoded by parts: its virtual hosts one by one
// (cached by their own content), then framed into the configuration. A
// sidecar's route config holds a virtual host per service it sees; across
// namespaces and pushes most of them are the same, and one changed
// VirtualService changes only its own.
import { hash } from 'node:crypto';
import { TypeUrl, encodeResource } from '../../api/envoy/registry.ts';
import type { EnvoyResource } from '../translate/types.ts';
import type { EncodedAny } from './encode.ts';
import { XdsError, errorMessage } from './errors.ts';
import { Writer, fieldSize } from './wire-format.ts';

export interface ContentEncoding {
  any: EncodedAny;
  /** Content hash of the encoded bytes. */
  version: string;
}

/** Entries per generation; a miss only costs an encoding, never correctness. */
const GENERATION = 30_000;
let current = new Map<string, Buffer>();
let previous = new Map<string, Buffer>();

function cached(key: string, encode: () => Buffer): Buffer {
  let value = current.get(key);
  if (value) return value;
  value = previous.get(key);
  if (!value) value = encode();
  if (current.size >= GENERATION) {
    previous = current;
    current = new Map();
  }
  current.set(key, value);
  return value;
}

const keyOf = (obj: unknown) => hash('sha256', JSON.stringify(obj), 'base64url');

function encodeValue(resource: EnvoyResource): Buffer {
  const any = encodeResource(resource);
  return Buffer.isBuffer(any.value) ? any.value : Buffer.from(any.value);
}

/**
 * The resource's protobuf bytes and their hash, from the cache when an equal
 * resource was encoded lately. Throws as encodeResource does on bad input.
 */
export function encodeByContent(resource: EnvoyResource): ContentEncoding {
  const type_url = String(resource['@type']);
  const value =
    type_url === TypeUrl.RouteConfiguration && Array.isArray(resource.virtual_hosts)
      ? encodeRouteConfiguration(resource, resource.virtual_hosts as Record<string, unknown>[])
      : cached(keyOf(resource), () => encodeValue(resource));
  return { any: { type_url, value }, version: versionOf(value) };
}

/** Hashes of cached encodings: a cache hit needs no second pass over its bytes. */
const versions = new WeakMap<Buffer, string>();

function versionOf(value: Buffer): string {
  let version = versions.get(value);
  if (version === undefined) {
    version = hash('sha256', value, 'base64url').slice(0, 22);
    versions.set(value, version);
  }
  return version;
}

/** RouteConfiguration.virtual_hosts (route.proto). */
const VIRTUAL_HOSTS_FIELD = 2;

/**
 * The configuration without its virtual hosts, then each virtual host as a
 * field 2 entry: protobuf parses fields in any order and appends repeated
 * ones in the order they come, so this is the configuration's encoding.
 */
function encodeRouteConfiguration(
  resource: EnvoyResource,
  virtualHosts: Record<string, unknown>[],
): Buffer {
  const parts: Buffer[] = [
    cached(keyOf({ ...resource, virtual_hosts: [] }), () =>
      encodeValue({ ...resource, virtual_hosts: [] }),
    ),
  ];
  virtualHosts.forEach((vh, i) => {
    const host = { '@type': TypeUrl.VirtualHost, ...vh };
    const bytes = cached(keyOf(host), () => {
      try {
        return encodeValue(host);
      } catch (err) {
        throw new XdsError(
          'PETREL_XDS_GENERATE',
          `virtual_hosts[${i}] (${String(vh.name)}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    });
    parts.push(fieldHead(VIRTUAL_HOSTS_FIELD, bytes.length), bytes);
  });
  return Buffer.concat(parts);
}

/** Tag (length-delimited) and length of a field. */
function fieldHead(field: number, length: number): Buffer {
  const w = new Writer(Buffer.allocUnsafe(fieldSize(field, length) - length));
  w.head(field, length);
  return w.buf;
}
