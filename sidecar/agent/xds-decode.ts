// Opening one xDS response: every resource decoded with the Envoy protos and
// checked as Envoy checks on load (structure, then protoc-gen-validate rules via
// the registry's validateResource). Problems are collected for all resources, not
// just the first, each naming the resource and the field, so the NACK says it all.
import { decodeAny, validateResource } from '../../api/envoy/registry.ts';
import type { PackedAny } from '../../api/envoy/registry.ts';
import type { EnvoyResource } from '../types.ts';
import { errorLine } from './errors.ts';
import { RESOURCE_WRAPPER_TYPE, resourceNameOf } from './xds-types.ts';

export interface RawResource {
  /** Delta: the Resource wrapper's name; SotW: absent (read from the resource). */
  name?: string;
  /** Delta: the resource's version. */
  version?: string;
  any: PackedAny;
}

export interface DecodedResource {
  name: string;
  version?: string;
  resource: EnvoyResource;
}

export interface DecodeResult {
  resources: DecodedResource[];
  problems: string[];
  /** Names whose resource had a problem, with the resource when it decoded. */
  failed: Map<string, EnvoyResource | undefined>;
}

function typeNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/**
 * Anys the registry could not open (it keeps them as `{ '@type', '@value' }`): an
 * extension type Envoy has no implementation for, which Envoy rejects on load.
 */
function opaqueAnys(value: unknown, at: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => opaqueAnys(v, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const obj = value as Record<string, unknown>;
  if (typeof obj['@type'] === 'string' && '@value' in obj)
    return [`${at}: unknown type "${obj['@type']}" in "@type"`];
  return Object.entries(obj).flatMap(([k, v]) =>
    k === '@type' ? [] : opaqueAnys(v, `${at}.${k}`),
  );
}

export function decodeResources(
  typeUrl: string,
  short: string,
  raws: readonly RawResource[],
): DecodeResult {
  const result: DecodeResult = { resources: [], problems: [], failed: new Map() };
  const seen = new Set<string>();
  raws.forEach((raw, index) => {
    let label = raw.name ? `${short} resource "${raw.name}"` : `${short} resource [${index}]`;
    const fail = (problem: string, name?: string, resource?: EnvoyResource) => {
      result.problems.push(`${label}: ${problem}`);
      if (name) result.failed.set(name, resource);
    };
    let resource: EnvoyResource;
    let name = raw.name;
    let version = raw.version;
    try {
      resource = decodeAny(raw.any);
    } catch (err) {
      return fail(errorLine(err), name);
    }
    if (resource['@type'] === RESOURCE_WRAPPER_TYPE) {
      // SotW servers may wrap resources in discovery.v3.Resource to carry names and versions.
      const inner = resource.resource as EnvoyResource | undefined;
      if (!inner || typeof inner['@type'] !== 'string')
        return fail('Resource wrapper without a resource', name);
      name ||= typeof resource.name === 'string' ? resource.name : undefined;
      version ||= typeof resource.version === 'string' ? resource.version : undefined;
      resource = inner;
    }
    if (resource['@type'] !== typeUrl)
      return fail(`has type ${resource['@type']}, the response is for ${typeUrl}`, name);
    const ownName = resourceNameOf(typeUrl, resource);
    name ||= ownName;
    if (!name) return fail('has no name');
    label = `${short} resource "${name}"`;
    if (ownName && ownName !== name)
      return fail(`named "${ownName}" inside, "${name}" outside`, name, resource);
    if (seen.has(name)) return fail('appears twice in the response', name, resource);
    seen.add(name);
    const problems = [...validateResource(resource), ...opaqueAnys(resource, typeNameOf(typeUrl))];
    if (problems.length > 0) {
      for (const p of problems) fail(p, name, resource);
      return;
    }
    result.resources.push({ name, version, resource });
  });
  return result;
}
