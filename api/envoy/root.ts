// One protobufjs Root holding every Envoy v3 message, loaded once, on first use.

import protobuf from 'protobufjs';
import type { Enum, Root, Type } from 'protobufjs';
import { EnvoyProtoError } from './errors.ts';
import { envoyProtoFiles, includeDirs, resolveImport } from './proto-files.ts';

let root: Root | undefined;
const typeCache = new Map<string, Type | null>();

function load(): Root {
  const dirs = includeDirs();
  const files = envoyProtoFiles(dirs);
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => resolveImport(dirs, target) ?? null;
  try {
    // keepCase: field names exactly as in the .proto (snake_case), Petrel's object form.
    r.loadSync(files, { keepCase: true });
    r.resolveAll();
  } catch (err) {
    throw new EnvoyProtoError(
      'PETREL_ENVOY_PROTO_LOAD',
      `loading Envoy protos: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return r;
}

/** The Root with all Envoy/xds/udpa v3 types; loaded synchronously the first time. */
export function envoyRoot(): Root {
  root ??= load();
  return root;
}

/** The full name without a leading dot or type URL prefix: `envoy.config.cluster.v3.Cluster`. */
export function bareName(nameOrUrl: string): string {
  const slash = nameOrUrl.lastIndexOf('/');
  const name = slash >= 0 ? nameOrUrl.slice(slash + 1) : nameOrUrl;
  return name.startsWith('.') ? name.slice(1) : name;
}

/** The message type with that full name (or type URL), or undefined. */
export function findType(nameOrUrl: string): Type | undefined {
  const name = bareName(nameOrUrl);
  let hit = typeCache.get(name);
  if (hit === undefined) {
    const found = name === '' ? null : envoyRoot().lookup(`.${name}`);
    hit = found instanceof protobuf.Type ? found : null;
    typeCache.set(name, hit);
  }
  return hit ?? undefined;
}

/** The message type with that full name (or type URL); throws PETREL_ENVOY_UNKNOWN_TYPE. */
export function lookupType(nameOrUrl: string): Type {
  const t = findType(nameOrUrl);
  if (!t)
    throw new EnvoyProtoError('PETREL_ENVOY_UNKNOWN_TYPE', `unknown message type "${nameOrUrl}"`);
  return t;
}

/** The enum with that full name; throws PETREL_ENVOY_UNKNOWN_TYPE. */
export function lookupEnum(fullName: string): Enum {
  const found = envoyRoot().lookup(`.${bareName(fullName)}`);
  if (!(found instanceof protobuf.Enum))
    throw new EnvoyProtoError('PETREL_ENVOY_UNKNOWN_TYPE', `unknown enum "${fullName}"`);
  return found;
}

/** `Cluster` for `.envoy.config.cluster.v3.Cluster`: how paths in messages start. */
export function shortName(type: Type): string {
  return type.name;
}

export interface ValueKeys {
  null: string;
  number: string;
  string: string;
  bool: string;
  struct: string;
  list: string;
}
let valueKeys: ValueKeys | undefined;

/**
 * google.protobuf.Value's field names as loaded. protobufjs serves struct.proto
 * from its bundled JSON copy, whose names are camelCase (nullValue, …) even
 * with keepCase, so they are looked up by field number, not spelled.
 */
export function structValueKeys(): ValueKeys {
  if (!valueKeys) {
    const byId = lookupType('google.protobuf.Value').fieldsById;
    const name = (id: number) => byId[id]!.name;
    valueKeys = {
      null: name(1),
      number: name(2),
      string: name(3),
      bool: name(4),
      struct: name(5),
      list: name(6),
    };
  }
  return valueKeys;
}
