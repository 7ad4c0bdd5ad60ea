// Istio authorization values → Envoy matchers, with Istio's wildcard rules
// (security/authz/matcher): a value is exact, `prefix*`, `*suffix`, or `*` for
// "anything present". Hosts compare case-insensitively; header values match each
// comma-separated value of the header, as Istio's regex form does.
type Obj = Record<string, unknown>;

/** RE2-safe literal (Go's regexp.QuoteMeta). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const ANY = { safe_regex: { regex: '.+' } };

/** Istio's StringMatcherWithPrefix: the value's wildcard form, under a fixed prefix (`spiffe://`). */
export function stringMatcher(value: string, prefix = ''): Obj {
  if (value === '*') return ANY;
  if (value.startsWith('*')) {
    const rest = value.slice(1);
    return prefix === ''
      ? { suffix: rest }
      : { safe_regex: { regex: `${quoteMeta(prefix)}.*${quoteMeta(rest)}` } };
  }
  if (value.endsWith('*')) return { prefix: prefix + value.slice(0, -1) };
  return { exact: prefix + value };
}

/** `:authority` against `hosts`: case-insensitive, `*` means any host. */
export function hostMatcher(value: string): Obj {
  if (value === '*') return { name: ':authority', present_match: true };
  const m = stringMatcher(value);
  return { name: ':authority', string_match: { ...m, ignore_case: true } };
}

/** A pseudo-header like `:method` against one value with wildcards. */
export function headerValueMatcher(name: string, value: string): Obj {
  if (value === '*') return { name, present_match: true };
  if (value.startsWith('*')) return { name, suffix_match: value.slice(1) };
  if (value.endsWith('*')) return { name, prefix_match: value.slice(0, -1) };
  return { name, exact_match: value };
}

/**
 * `request.headers[name]`: a header may carry several comma-joined values; the
 * condition holds when any one of them matches (Istio's HeaderMatcher regex form).
 */
export function requestHeaderMatcher(name: string, value: string): Obj {
  if (value === '*') return { name, present_match: true };
  let v: string;
  if (value.startsWith('*')) v = `.*${quoteMeta(value.slice(1))}`;
  else if (value.endsWith('*')) v = `${quoteMeta(value.slice(0, -1))}.*`;
  else v = quoteMeta(value);
  return { name, safe_regex_match: { regex: `^${v}$|^${v},.*|.*,${v},.*|.*,${v}$` } };
}

/** Istio's path templates: `{*}` one segment, `{**}` any number of them. */
export function isPathTemplate(value: string): boolean {
  return value.includes('{*}') || value.includes('{**}');
}

/** A path value → an RBAC permission on the request path (query excluded). */
export function pathPermission(value: string): Obj {
  if (isPathTemplate(value))
    return {
      uri_template: {
        name: 'uri-template',
        typed_config: {
          '@type':
            'type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig',
          path_template: templateForEnvoy(value),
        },
      },
    };
  return { url_path: { path: stringMatcher(value) } };
}

/** Envoy's template operators are bare: `{*}` → `*` (one segment), `{**}` → `**` (the rest). */
function templateForEnvoy(value: string): string {
  return value.replace(/\{\*\*\}/g, '**').replace(/\{\*\}/g, '*');
}

/** `10.0.0.0/8` or `10.0.0.1` → CidrRange (a single address is a /32 or /128). */
export function cidrRange(value: string): Obj {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const len = slash < 0 ? (address.includes(':') ? 128 : 32) : Number(value.slice(slash + 1));
  return { address_prefix: address, prefix_len: { value: len } };
}

/** The SPIFFE regex of a namespace value: any trust domain, then `/ns/<ns>/`, `*` kept as a wildcard. */
export function namespaceMatcher(value: string): Obj {
  return { safe_regex: { regex: `.*/ns/${value.replace(/\*/g, '.*')}/.*` } };
}

/** `sa` or `ns/sa` (default the policy's namespace) → SPIFFE regex, as Istio builds it. */
export function serviceAccountMatcher(policyNamespace: string, value: string): Obj {
  const slash = value.indexOf('/');
  const ns = slash < 0 ? policyNamespace : value.slice(0, slash);
  const sa = slash < 0 ? value : value.slice(slash + 1);
  return { safe_regex: { regex: `spiffe://.+/ns/${ns}/(.+/|)sa/${sa}(/.+)?` } };
}
