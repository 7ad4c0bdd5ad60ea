// Discovery documents (/api, /apis, /api/v1, /apis/<group>[/<version>]) built
// from the resource table, in the legacy (v1) format that client-node reads.
import { groupVersion } from './resource-table.ts';
import type { ResourceType } from './resource-table.ts';

/** Groups served by handlers outside the resource table (TokenReview). */
export interface ExtraResource {
  group: string;
  version: string;
  resource: { name: string; kind: string; namespaced: boolean; verbs: string[] };
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function singular(kind: string): string {
  return kind.toLowerCase();
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupsOf(
  resources: readonly ResourceType[],
  extras: readonly ExtraResource[],
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const add = (group: string, versions: readonly string[]) => {
    const list = groups.get(group) ?? [];
    for (const v of versions) if (!list.includes(v)) list.push(v);
    groups.set(group, list);
  };
  for (const r of resources) if (r.group) add(r.group, r.versions);
  for (const e of extras) add(e.group, [e.version]);
  return groups;
}

function apiGroup(name: string, versions: readonly string[]): unknown {
  const gv = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

export function apiGroupList(
  resources: readonly ResourceType[],
  extras: readonly ExtraResource[],
): unknown {
  const groups = [...groupsOf(resources, extras)].map(([name, versions]) =>
    apiGroup(name, versions),
  );
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** The APIGroup document for one group, or undefined when nothing is served in it. */
export function apiGroupDoc(
  group: string,
  resources: readonly ResourceType[],
  extras: readonly ExtraResource[],
): unknown {
  const versions = groupsOf(resources, extras).get(group);
  return versions
    ? { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(group, versions) as object) }
    : undefined;
}

/** The APIResourceList for one group/version, or undefined when nothing is served there. */
export function apiResourceList(
  group: string,
  version: string,
  resources: readonly ResourceType[],
  extras: readonly ExtraResource[],
): unknown {
  const entries: unknown[] = [];
  for (const r of resources) {
    if (r.group !== group || !r.versions.includes(version)) continue;
    entries.push({
      name: r.plural,
      singularName: singular(r.kind),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      storageVersionHash: '',
    });
    if (r.status)
      entries.push({
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      });
  }
  for (const e of extras)
    if (e.group === group && e.version === version)
      entries.push({ singularName: '', ...e.resource });
  if (entries.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: entries,
  };
}
