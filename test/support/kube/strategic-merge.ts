// Strategic merge patch for the built-in kinds the double serves
// (k8s.io/apimachinery/pkg/util/strategicpatch). Lists whose Go type declares a
// patchMergeKey merge element by element; other lists are replaced. Directives:
// `$patch: delete|replace|merge`, `$deleteFromPrimitiveList/<field>`,
// `$setElementOrder/<field>` (order is kept as merged), `$retainKeys`.
// Written here because no maintained JavaScript library implements it; the
// merge keys below are those of the Kubernetes API types.

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** patchMergeKey per field name; `ports` depends on the kind (Service ports merge on port, container ports on containerPort). */
function mergeKey(field: string, kind: string, parentPath: readonly string[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'imagePullSecrets':
    case 'env':
    case 'volumes':
    case 'resourceClaims':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'hostAliases':
      return 'ip';
    case 'ownerReferences':
      return 'uid';
    case 'conditions':
      return 'type';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'ports':
      return kind === 'Service' && parentPath.join('.') === 'spec' ? 'port' : 'containerPort';
    default:
      return undefined;
  }
}

/** Primitive lists with patchStrategy merge: union instead of replace. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMerge(current: Json, patch: JsonObject, kind: string): Json {
  return mergeObject(isObject(current) ? current : {}, patch, kind, []);
}

function mergeObject(
  target: JsonObject,
  patch: JsonObject,
  kind: string,
  path: readonly string[],
): Json {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch);
  const out: JsonObject = { ...target };
  const retain = Array.isArray(patch.$retainKeys)
    ? new Set(patch.$retainKeys as string[])
    : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((value as Json[]) ?? []);
      if (Array.isArray(out[field]))
        out[field] = (out[field] as Json[]).filter((v) => !drop.has(v));
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (isObject(value)) {
      const merged = mergeObject(isObject(out[key]) ? (out[key] as JsonObject) : {}, value, kind, [
        ...path,
        key,
      ]);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) {
      out[key] = mergeList(
        Array.isArray(out[key]) ? (out[key] as Json[]) : [],
        value,
        key,
        kind,
        path,
      );
    } else {
      out[key] = value;
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.has(key)) delete out[key];
  return out;
}

function mergeList(
  target: Json[],
  patch: Json[],
  field: string,
  kind: string,
  parentPath: readonly string[],
): Json[] {
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((e) => !isObject(e))) {
    return [...target, ...patch.filter((e) => !target.includes(e))];
  }
  const key = mergeKey(field, kind, parentPath);
  if (!key) return patch.map(stripDirectives);
  const out = [...target];
  for (const element of patch) {
    if (!isObject(element)) continue;
    const index = out.findIndex((e) => isObject(e) && e[key] === element[key]);
    if (element.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) {
      out[index] = mergeObject(out[index] as JsonObject, element, kind, [...parentPath, field]);
    } else {
      out.push(stripDirectives(element));
    }
  }
  return out;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}
