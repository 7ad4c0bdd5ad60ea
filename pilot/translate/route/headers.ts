// VirtualService headers (set / add / remove, on request and response) → Envoy
// header options. `set` overwrites, `add` appends; Host/:authority cannot be set as a
// header and becomes a host rewrite; pseudo-headers are dropped, as in Istio.
import type { Headers } from '../../../api/istio/index.ts';

export interface HeaderOperations {
  request_headers_to_add?: Record<string, unknown>[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: Record<string, unknown>[];
  response_headers_to_remove?: string[];
  /** A Host/:authority value from set (or add), for host_rewrite_literal. */
  authority?: string;
}

const isAuthority = (key: string) =>
  key.toLowerCase() === ':authority' || key.toLowerCase() === 'host';
const isInternal = (key: string) => key.startsWith(':') || key.toLowerCase() === 'host';

function options(
  headers: Record<string, string> | undefined,
  append: boolean,
): { list: Record<string, unknown>[]; authority?: string } {
  let authority: string | undefined;
  const list: Record<string, unknown>[] = [];
  for (const key of Object.keys(headers ?? {}).sort()) {
    const value = headers![key]!;
    if (isAuthority(key)) authority = value;
    if (isInternal(key)) continue;
    list.push({
      header: { key, value },
      append_action: append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
  }
  return { list, authority };
}

export function headerOperations(headers: Headers | undefined): HeaderOperations {
  if (!headers) return {};
  const reqSet = options(headers.request?.set, false);
  const reqAdd = options(headers.request?.add, true);
  const respSet = options(headers.response?.set, false);
  const respAdd = options(headers.response?.add, true);
  const out: HeaderOperations = {};
  const reqAddAll = [...reqSet.list, ...reqAdd.list];
  const respAddAll = [...respSet.list, ...respAdd.list];
  if (reqAddAll.length > 0) out.request_headers_to_add = reqAddAll;
  if (respAddAll.length > 0) out.response_headers_to_add = respAddAll;
  const reqRemove = (headers.request?.remove ?? []).filter((k) => !isInternal(k));
  const respRemove = (headers.response?.remove ?? []).filter((k) => !isInternal(k));
  if (reqRemove.length > 0) out.request_headers_to_remove = reqRemove;
  if (respRemove.length > 0) out.response_headers_to_remove = respRemove;
  const authority = reqSet.authority ?? reqAdd.authority;
  if (authority) out.authority = authority;
  return out;
}

/** Appends `ops` header lists onto a route or weighted cluster object. */
export function applyHeaderOperations(
  target: Record<string, unknown>,
  ops: HeaderOperations,
): void {
  for (const key of [
    'request_headers_to_add',
    'request_headers_to_remove',
    'response_headers_to_add',
    'response_headers_to_remove',
  ] as const) {
    const list = ops[key];
    if (!list) continue;
    target[key] = [...((target[key] as unknown[] | undefined) ?? []), ...list];
  }
}
