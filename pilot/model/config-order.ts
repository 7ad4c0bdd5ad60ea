// Istio's precedence among config objects of one kind (sortConfigByCreationTime):
// oldest creationTimestamp first, then name, then namespace. Objects without a
// timestamp (files) count as the oldest, so name order decides among them.
import type { ConfigObject } from '../../api/config/object.ts';

export function creationMillis(obj: ConfigObject): number {
  const ts = obj.metadata.creationTimestamp as unknown;
  if (ts === undefined || ts === null || ts === '') return 0;
  const ms = ts instanceof Date ? ts.getTime() : Date.parse(String(ts));
  return Number.isNaN(ms) ? 0 : ms;
}

export function byCreation(a: ConfigObject, b: ConfigObject): number {
  const t = creationMillis(a) - creationMillis(b);
  if (t !== 0) return t;
  const an = a.metadata.name,
    bn = b.metadata.name;
  if (an !== bn) return an < bn ? -1 : 1;
  const ans = a.metadata.namespace ?? '',
    bns = b.metadata.namespace ?? '';
  return ans < bns ? -1 : ans > bns ? 1 : 0;
}

export function sortedByCreation<T extends ConfigObject>(objs: readonly T[]): T[] {
  return [...objs].sort(byCreation);
}
