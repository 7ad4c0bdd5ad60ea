// Maps a request path to what it addresses: discovery, or a resource (group,
// version, plural, optional namespace, name, subresource), following the API
// server's URL layout (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris).
import type { ResourceType } from './resource-table.ts';

export type Route =
  | { kind: 'version' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | {
      kind: 'resource';
      group: string;
      version: string;
      /** The resource name in the URL (plural), typed when the table has it. */
      plural: string;
      type?: ResourceType;
      namespace?: string;
      name?: string;
      subresource?: string;
      /** The legacy `/watch/` path prefix. */
      watchPath: boolean;
    }
  | { kind: 'unknown' };

export function route(
  pathname: string,
  find: (group: string, version: string, plural: string) => ResourceType | undefined,
): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 1 && parts[0] === 'version') return { kind: 'version' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    [group, version, rest] = ['', parts[1]!, parts.slice(2)];
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    if (parts.length === 2) return { kind: 'group', group: parts[1]! };
    [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  // `namespaces/<ns>/<plural>/...` unless <plural> is not a namespaced resource
  // (then it is the Namespace object itself, e.g. namespaces/<name>/status).
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = find(group, version, rest[2]!);
    if (type?.namespaced || (!type && group !== '')) {
      return {
        kind: 'resource',
        group,
        version,
        plural: rest[2]!,
        ...(type ? { type } : {}),
        namespace: rest[1]!,
        name: rest[3],
        subresource: rest[4],
        watchPath,
      };
    }
  }
  const type = find(group, version, rest[0]!);
  return {
    kind: 'resource',
    group,
    version,
    plural: rest[0]!,
    ...(type ? { type } : {}),
    name: rest[1],
    subresource: rest[2],
    watchPath,
  };
}
