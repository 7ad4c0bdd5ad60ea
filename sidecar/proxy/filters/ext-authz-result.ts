// What an external authorizer decided, in one shape for the gRPC and the HTTP
// service (Envoy's ExtAuthz::Response), and how its header edits apply: to the
// request going upstream, to the response going downstream, or to the denial.
import { lookupEnum } from '../../../api/envoy/registry.ts';
import { asArray, asNumber, asObj, asString, isObj, type Obj } from '../config/values.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { headerValueOf, httpStatusCode } from './ext-authz-common.ts';

/**
 * add: another value; set: replace; append: join to an existing value with ','
 * (added when absent); add-if-absent and overwrite-if-exists as their names say.
 */
export type EditAction = 'add' | 'set' | 'append' | 'add-if-absent' | 'overwrite-if-exists';

export interface HeaderEdit {
  key: string;
  value: string;
  action: EditAction;
}

export interface AuthzOk {
  status: 'ok';
  /** Edits of the request sent upstream. */
  request: HeaderEdit[];
  remove: string[];
  /** Edits of the response sent downstream. */
  response: HeaderEdit[];
  querySet: [string, string][];
  queryRemove: string[];
  metadata: Obj | undefined;
}

export interface AuthzDenied {
  status: 'denied';
  httpStatus: number;
  headers: HeaderEdit[];
  body: string;
  metadata: Obj | undefined;
}

export type AuthzResult = AuthzOk | AuthzDenied | { status: 'error'; reason: string };

export function applyEdits(headers: HeaderMap, edits: readonly HeaderEdit[]): void {
  for (const { key, value, action } of edits) {
    const cur = headers[key];
    switch (action) {
      case 'set':
        headers[key] = value;
        break;
      case 'add':
        headers[key] =
          cur === undefined ? value : Array.isArray(cur) ? [...cur, value] : [cur, value];
        break;
      case 'append':
        headers[key] =
          cur === undefined ? value : `${Array.isArray(cur) ? cur.join(',') : cur},${value}`;
        break;
      case 'add-if-absent':
        if (cur === undefined) headers[key] = value;
        break;
      case 'overwrite-if-exists':
        if (cur !== undefined) headers[key] = value;
    }
  }
}

// RFC 9110 token for names; values without control characters other than tab.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** validate_mutations: every edit must be a valid header (a bad one fails the check). */
export function editsValid(edits: readonly HeaderEdit[]): boolean {
  return edits.every((e) => HEADER_NAME.test(e.key) && HEADER_VALUE.test(e.value));
}

/** Pseudo-headers and Host name the request itself: an authorizer may not edit or remove them. */
export function editableRequestHeader(key: string): boolean {
  return key.charCodeAt(0) !== 58 /* : */ && key !== 'host';
}

const ACTIONS: Record<string, EditAction> = {
  ADD_IF_ABSENT: 'add-if-absent',
  OVERWRITE_IF_EXISTS_OR_ADD: 'set',
  OVERWRITE_IF_EXISTS: 'overwrite-if-exists',
};

/**
 * HeaderValueOption → edit. The deprecated `append` decides when present: on the
 * request true appends to the value, on a response true adds another header, false
 * replaces. Without it, append_action decides; its default (APPEND_IF_EXISTS_OR_ADD)
 * cannot be told from unset in proto3, and external_auth.proto says that in these
 * messages an unset append means replace, so the default replaces too.
 */
function edit(o: unknown, forResponse: boolean): HeaderEdit | undefined {
  const hvo = asObj(o);
  const h = asObj(hvo?.header);
  const key = asString(h?.key)?.toLowerCase();
  if (!hvo || !h || !key) return undefined;
  const value = headerValueOf(h);
  const append = asObj(hvo.append);
  let action: EditAction;
  if (append) action = append.value === true ? (forResponse ? 'add' : 'append') : 'set';
  else action = ACTIONS[asString(hvo.append_action) ?? ''] ?? 'set';
  return { key, value, action };
}

function edits(list: unknown, forResponse: boolean): HeaderEdit[] {
  const out: HeaderEdit[] = [];
  for (const o of asArray(list)) {
    const e = edit(o, forResponse);
    if (e) out.push(e);
  }
  return out;
}

/** A decoded envoy.service.auth.v3.CheckResponse (object form). */
export function fromCheckResponse(r: Obj): AuthzOk | AuthzDenied {
  const metadata = isObj(r.dynamic_metadata) ? r.dynamic_metadata : undefined;
  const code = asNumber(asObj(r.status)?.code) ?? 0;
  if (code === 0) {
    const ok = asObj(r.ok_response) ?? {};
    return {
      status: 'ok',
      request: edits(ok.headers, false),
      remove: asArray(ok.headers_to_remove)
        .map((k) => asString(k)?.toLowerCase() ?? '')
        .filter((k) => k !== ''),
      response: edits(ok.response_headers_to_add, true),
      querySet: asArray(ok.query_parameters_to_set).flatMap((q) => {
        const o = asObj(q);
        const k = asString(o?.key);
        return k ? [[k, asString(o?.value) ?? ''] as [string, string]] : [];
      }),
      queryRemove: asArray(ok.query_parameters_to_remove).flatMap((k) =>
        typeof k === 'string' ? [k] : [],
      ),
      // The deprecated ok_response.dynamic_metadata overrides the response's, as in Envoy.
      metadata: isObj(ok.dynamic_metadata) ? ok.dynamic_metadata : metadata,
    };
  }
  const denied = asObj(r.denied_response);
  return {
    status: 'denied',
    // 403 unless the authorizer names another status.
    httpStatus: httpStatusCode(denied?.status, 403),
    headers: edits(denied?.headers, true),
    body: asString(denied?.body) ?? '',
    metadata,
  };
}

/** Sets or removes query parameters in a path, keeping the others in order. */
export function editQuery(
  path: string,
  set: readonly [string, string][],
  remove: readonly string[],
): string {
  const q = path.indexOf('?');
  const base = q < 0 ? path : path.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  for (const [k, v] of set) params.set(k, v);
  for (const k of remove) params.delete(k);
  const s = params.toString();
  return s === '' ? base : `${base}?${s}`;
}
