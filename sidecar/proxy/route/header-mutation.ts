// request/response_headers_to_add and _to_remove, compiled once. Values may use a
// subset of Envoy's command operators; an unknown operator is a config error, as in Envoy.
import os from 'node:os';
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, wrappedBool } from '../config/values.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { RequestView } from './types.ts';

type Formatter = string | ((req: RequestView) => string);
type AppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

interface HeaderAdd {
  name: string;
  value: Formatter;
  action: AppendAction;
  keepEmpty: boolean;
}

export interface HeaderMutation {
  remove: string[];
  add: HeaderAdd[];
}

const ACTIONS = new Set([
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
]);
// Envoy refuses to let route config touch these (they are the request's identity).
const PROTECTED = new Set([':authority', ':path', ':method', ':scheme', 'host', ':status']);

export function compileHeaderMutation(
  adds: unknown,
  removes: unknown,
  issues: Issues,
  addField: string,
  removeField: string,
): HeaderMutation | null {
  const out: HeaderMutation = { remove: [], add: [] };
  asArray(removes).forEach((r, i) => {
    const name = asString(r)?.toLowerCase();
    if (!name) issues.add('expected a header name', `${removeField}[${i}]`);
    else if (PROTECTED.has(name)) issues.add(`${name} cannot be removed`, `${removeField}[${i}]`);
    else out.remove.push(name);
  });
  asArray(adds).forEach((a, i) => {
    const iss = issues.at(addField).at(i);
    const o = asObj(a);
    const h = asObj(o?.header);
    const name = asString(h?.key)?.toLowerCase();
    if (!o || !h || !name) {
      iss.add('header.key is required', 'header.key');
      return;
    }
    if (PROTECTED.has(name)) {
      iss.add(`${name} cannot be modified here`, 'header.key');
      return;
    }
    let action = (asString(o.append_action) ?? 'APPEND_IF_EXISTS_OR_ADD') as AppendAction;
    if (!ACTIONS.has(action)) {
      iss.add(`unknown append_action ${action}`, 'append_action');
      return;
    }
    // The deprecated `append` BoolValue wins when set (false means overwrite).
    if (o.append !== undefined)
      action = wrappedBool(o.append, true)
        ? 'APPEND_IF_EXISTS_OR_ADD'
        : 'OVERWRITE_IF_EXISTS_OR_ADD';
    const raw =
      asString(h.value) ??
      (h.raw_value !== undefined ? Buffer.from(String(h.raw_value), 'base64').toString() : '');
    const value = compileFormatter(raw, iss, 'header.value');
    if (value === undefined) return;
    out.add.push({ name, value, action, keepEmpty: o.keep_empty_value === true });
  });
  return out.remove.length === 0 && out.add.length === 0 ? null : out;
}

export function applyMutations(
  headers: HeaderMap,
  list: readonly HeaderMutation[],
  req: RequestView,
): void {
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    for (const name of m.remove) delete headers[name];
    for (const a of m.add) {
      const value = typeof a.value === 'string' ? a.value : a.value(req);
      if (value === '' && !a.keepEmpty) continue;
      const cur = headers[a.name];
      switch (a.action) {
        case 'APPEND_IF_EXISTS_OR_ADD':
          headers[a.name] =
            cur === undefined ? value : Array.isArray(cur) ? [...cur, value] : [cur, value];
          break;
        case 'ADD_IF_ABSENT':
          if (cur === undefined) headers[a.name] = value;
          break;
        case 'OVERWRITE_IF_EXISTS_OR_ADD':
          headers[a.name] = value;
          break;
        case 'OVERWRITE_IF_EXISTS':
          if (cur !== undefined) headers[a.name] = value;
          break;
      }
    }
  }
}

const hostname = os.hostname();

const OPERATORS: Record<string, (req: RequestView) => string> = {
  DOWNSTREAM_REMOTE_ADDRESS: (r) => joinHostPort(r.remoteAddress, r.remotePort),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (r) => r.remoteAddress,
  DOWNSTREAM_REMOTE_PORT: (r) => String(r.remotePort),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (r) => joinHostPort(r.remoteAddress, r.remotePort),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (r) => r.remoteAddress,
  DOWNSTREAM_LOCAL_ADDRESS: (r) => joinHostPort(r.localAddress, r.localPort),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (r) => r.localAddress,
  DOWNSTREAM_LOCAL_PORT: (r) => String(r.localPort),
  PROTOCOL: (r) => r.protocol,
  HOSTNAME: () => hostname,
  UPSTREAM_REMOTE_ADDRESS: (r) => r.upstreamHost ?? '',
  START_TIME: () => new Date().toISOString(),
};

function joinHostPort(a: string, p: number): string {
  return a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`;
}

/** Compiles "%OPERATOR%" substitutions; literal text and "%%" pass through. */
function compileFormatter(raw: string, issues: Issues, field: string): Formatter | undefined {
  if (!raw.includes('%')) return raw;
  const parts: Formatter[] = [];
  const re = /%%|%([A-Z_0-9]+)(?:\(([^)]*)\))?(?::\d+)?%/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw)) !== null) {
    if (m.index > last) parts.push(raw.slice(last, m.index));
    last = re.lastIndex;
    if (m[0] === '%%') {
      parts.push('%');
      continue;
    }
    const op = m[1]!;
    if (op === 'REQ' && m[2]) {
      const names = m[2].split('?').map((n) => n.toLowerCase());
      parts.push((r) => names.map((n) => r.header(n)).find((v) => v !== undefined) ?? '');
    } else if (OPERATORS[op]) {
      parts.push(OPERATORS[op]);
    } else {
      issues.add(`unsupported command operator %${op}% in ${JSON.stringify(raw)}`, field);
      return undefined;
    }
  }
  if (last < raw.length) parts.push(raw.slice(last));
  if (raw.slice(last).includes('%') || parts.length === 0) {
    issues.add(`unterminated command operator in ${JSON.stringify(raw)}`, field);
    return undefined;
  }
  return (r) => {
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : p(r);
    return s;
  };
}
