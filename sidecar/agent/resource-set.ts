// The full set of one type after a response, as the data plane must receive it:
// SotW Listener/Cluster responses replace everything; SotW responses of named
// types (EDS, RDS, SDS) and delta responses change only what they carry (and
// delta's removed_resources). Names the client did not ask for are ignored, as
// Envoy ignores unrequested resources. An unchanged resource keeps its entry, so
// its version and last_updated stay those of the update that really changed it.
import { isDeepStrictEqual } from 'node:util';
import type { ApplyResult, DataPlane, EnvoyResource } from '../types.ts';
import type { StreamUpdate } from './ads-stream.ts';
import { errorLine } from './errors.ts';
import type { TypeState } from './type-state.ts';
import type { DecodedResource } from './xds-decode.ts';
import type { ResourceEntry } from './xds-status.ts';

export interface NextSet {
  entries: Map<string, ResourceEntry>;
  /** False when the set is exactly what the client already holds. */
  changed: boolean;
  /** Resources present in the response for names the client does not want. */
  ignored: string[];
}

export function nextResourceSet(
  type: TypeState,
  update: StreamUpdate,
  decoded: readonly DecodedResource[],
  now: Date,
): NextSet {
  const replaceAll = !update.incremental && type.info.wildcard;
  const entries = replaceAll ? new Map<string, ResourceEntry>() : new Map(type.resources);
  const ignored: string[] = [];
  for (const name of update.removed) entries.delete(name);
  for (const d of decoded) {
    if (!type.info.wildcard && !type.names.has(d.name)) {
      ignored.push(d.name);
      continue;
    }
    const version = update.incremental ? (d.version ?? '') : update.version;
    const prev = type.resources.get(d.name);
    if (
      prev &&
      (!update.incremental || prev.version === version) &&
      isDeepStrictEqual(prev.resource, d.resource)
    ) {
      entries.set(d.name, prev);
    } else {
      entries.set(d.name, { name: d.name, resource: d.resource, version, lastUpdated: now });
    }
  }
  let changed = entries.size !== type.resources.size;
  if (!changed)
    for (const [name, entry] of entries) if (type.resources.get(name) !== entry) changed = true;
  return { entries, changed, ignored };
}

export function resourcesOf(
  entries: ReadonlyMap<string, ResourceEntry>,
): Map<string, ResourceEntry['resource']> {
  return new Map([...entries].map(([name, e]) => [name, e.resource]));
}

export interface Refusal {
  /** The data plane's lines, prefixed with the type (`lds name: field: message`). */
  problems: string[];
  /** The resources those lines name, for the NACK record. */
  failed: Map<string, EnvoyResource | undefined>;
}

/**
 * Hands the full set to the data plane. `refused`: it took none of it. `pending`:
 * it took the set and is still finishing (listener binds); resolves with the
 * resources that failed then, if any, which keep their previous state.
 */
export function applyToDataPlane(
  dataPlane: DataPlane,
  type: TypeState,
  entries: ReadonlyMap<string, ResourceEntry>,
): { refused?: Refusal; pending?: Promise<Refusal | undefined> } {
  let result: ApplyResult;
  try {
    result = dataPlane.applyConfig(type.typeUrl, resourcesOf(entries));
  } catch (err) {
    result = { errors: [`data plane failed: ${errorLine(err)}`] };
  }
  if (result.errors.length > 0) return { refused: refusalOf(type, entries, result.errors) };
  if (!result.pending) return {};
  return {
    pending: result.pending.then(
      (errors) => (errors.length > 0 ? refusalOf(type, entries, errors) : undefined),
      (err: unknown) => refusalOf(type, entries, [`data plane failed: ${errorLine(err)}`]),
    ),
  };
}

function refusalOf(
  type: TypeState,
  entries: ReadonlyMap<string, ResourceEntry>,
  errors: string[],
): Refusal {
  const failed = new Map<string, EnvoyResource | undefined>();
  for (const line of errors) {
    // The DataPlane contract: `resource-name: field.path: message`.
    let name = line.slice(0, line.indexOf(':'));
    // Names may hold colons themselves (`[::]_80`): then find the one the line starts with.
    if (!entries.has(name)) name = [...entries.keys()].find((n) => line.startsWith(`${n}:`)) ?? '';
    const entry = entries.get(name);
    if (entry) failed.set(name, entry.resource);
  }
  return { problems: errors.map((e) => `${type.info.short} ${e}`), failed };
}

/**
 * The set the client holds after a partly failed apply: what was applied, with the
 * failed resources back at their previous entries (or absent), so a later response
 * carrying them again is seen as a change and retried.
 */
export function withoutFailed(
  previous: ReadonlyMap<string, ResourceEntry>,
  next: ReadonlyMap<string, ResourceEntry>,
  failed: ReadonlyMap<string, unknown>,
): Map<string, ResourceEntry> {
  const out = new Map(next);
  for (const name of failed.keys()) {
    const prev = previous.get(name);
    if (prev) out.set(name, prev);
    else out.delete(name);
  }
  return out;
}
