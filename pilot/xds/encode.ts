// Generation for one subscription, and the encoding every response needs.
// Resources are encoded once per object: generators that hand the same object
// to many proxies (shared clusters, endpoints) pay for one encoding and hash;
// a new object equal to one encoded lately reuses its bytes (encode-cache.ts).
import type { Proxy } from '../model/proxy.ts';
import type { EnvoyResource, GeneratedResource, Generator } from '../translate/types.ts';
import { encodeByContent } from './encode-cache.ts';
import { XdsError, errorMessage } from './errors.ts';

export interface EncodedAny {
  type_url: string;
  value: Buffer;
}

export interface EncodedResource {
  name: string;
  any: EncodedAny;
  /** Content hash of the encoded bytes: the delta resource version and the SotW change test. */
  version: string;
}

const encodings = new WeakMap<EnvoyResource, EncodedResource>();

function encodeOnce(name: string, resource: EnvoyResource): EncodedResource {
  const hit = encodings.get(resource);
  if (hit && hit.name === name) return hit;
  const enc = { name, ...encodeByContent(resource) };
  encodings.set(resource, enc);
  return enc;
}

function generateError(proxy: Proxy, typeUrl: string, name: string, what: string, cause?: unknown) {
  return new XdsError('PETREL_XDS_GENERATE', `proxy ${proxy.id}: ${typeUrl} "${name}": ${what}`, {
    cause,
  });
}

/**
 * Runs the type's generator for this proxy and encodes the result, in the
 * generator's order. `names` undefined means wildcard; otherwise the output is
 * limited to those names (a name the generator cannot produce is simply absent).
 * Throws XdsError PETREL_XDS_GENERATE naming the proxy, type and resource.
 * This runs for every proxy on every push, so it allocates nothing per
 * resource when the generator hands out objects it already handed out.
 * Duplicate names are checked by the caller, only when the output changed.
 */
export function generateResources<Push>(
  generator: Generator<Push>,
  push: Push,
  proxy: Proxy,
  names: ReadonlySet<string> | undefined,
  nameList: readonly string[] = names ? [...names] : [],
): EncodedResource[] {
  if (names && names.size === 0) return [];
  const typeUrl = generator.typeUrl;
  let generated: GeneratedResource[];
  try {
    generated = generator.generate(push, proxy, nameList);
  } catch (err) {
    throw new XdsError(
      'PETREL_XDS_GENERATE',
      `proxy ${proxy.id}: ${typeUrl}: generator failed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  // A list the generator handed out before (shared by proxies alike), filtered
  // by the same names: the same encoded list. The names are keyed by the list
  // object, which the caller passes for `names` (subscriptions share equal lists).
  let byNames = encodedLists.get(generated);
  const namesKey = names ? nameList : WILDCARD;
  const hit = byNames?.get(namesKey);
  if (hit) return hit;
  const out = encodeList(generated, typeUrl, proxy, names);
  if (!byNames) encodedLists.set(generated, (byNames = new WeakMap()));
  byNames.set(namesKey, out);
  return out;
}

/** Encoded lists per generated list, then per name list (WILDCARD for none). */
const encodedLists = new WeakMap<
  readonly GeneratedResource[],
  WeakMap<readonly string[], EncodedResource[]>
>();
const WILDCARD: readonly string[] = Object.freeze([]);

function encodeList(
  generated: readonly GeneratedResource[],
  typeUrl: string,
  proxy: Proxy,
  names: ReadonlySet<string> | undefined,
): EncodedResource[] {
  const out: EncodedResource[] = [];
  for (const { name, resource } of generated) {
    if (names && !names.has(name)) continue;
    if (resource['@type'] !== typeUrl) {
      throw generateError(proxy, typeUrl, name, `resource @type is ${String(resource['@type'])}`);
    }
    try {
      out.push(encodeOnce(name, resource));
    } catch (err) {
      throw generateError(proxy, typeUrl, name, errorMessage(err), err);
    }
  }
  return out;
}

/** A name that occurs twice in a generated list (Envoy would reject the response). */
export function duplicateName(list: readonly EncodedResource[]): string | undefined {
  const seen = new Set<string>();
  for (const r of list) {
    if (seen.has(r.name)) return r.name;
    seen.add(r.name);
  }
  return undefined;
}

/**
 * Whether two generated lists carry the same resources. Generators are pure,
 * so an unchanged set comes back in the same order: compare in order first,
 * and by name only when the order moved.
 */
export function sameResources(
  a: readonly EncodedResource[],
  b: readonly EncodedResource[],
): boolean {
  if (a === b) return true;
  // Lists are shared by proxies alike: compare each pair once.
  let byB = compared.get(a);
  const known = byB?.get(b);
  if (known !== undefined) return known;
  const same = compare(a, b);
  if (!byB) compared.set(a, (byB = new WeakMap()));
  byB.set(b, same);
  return same;
}

const compared = new WeakMap<
  readonly EncodedResource[],
  WeakMap<readonly EncodedResource[], boolean>
>();

function compare(a: readonly EncodedResource[], b: readonly EncodedResource[]): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (
    i < a.length &&
    (a[i] === b[i] || (a[i]!.name === b[i]!.name && a[i]!.version === b[i]!.version))
  )
    i++;
  if (i === a.length) return true;
  const byName = new Map(a.map((r) => [r.name, r.version]));
  return b.every((r) => byName.get(r.name) === r.version);
}
