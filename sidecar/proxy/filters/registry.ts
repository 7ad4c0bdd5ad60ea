// The HTTP filters this proxy implements, looked up by typed_config type. The
// router is the terminal filter and is built into the request path itself.
import type { Issues } from '../config/issues.ts';
import { anyTypeName, asArray, asObj, asString, isObj, type Obj } from '../config/values.ts';
import { corsFactory } from './cors.ts';
import { extAuthzFactory } from './ext-authz.ts';
import { faultFactory } from './fault.ts';
import { jwtAuthnFactory } from './jwt-authn.ts';
import { localRateLimitFactory } from './local-ratelimit.ts';
import { rbacFactory } from './rbac.ts';
import type { HttpFilter, HttpFilterFactory } from './types.ts';

export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const FILTER_CONFIG = 'envoy.config.route.v3.FilterConfig';

const factories = new Map<string, HttpFilterFactory>([
  [faultFactory.typeName, faultFactory],
  [corsFactory.typeName, corsFactory],
  [jwtAuthnFactory.typeName, jwtAuthnFactory],
  [rbacFactory.typeName, rbacFactory],
  [localRateLimitFactory.typeName, localRateLimitFactory],
  [extAuthzFactory.typeName, extAuthzFactory],
]);

const perRouteCompilers = new Map<string, (c: Obj, issues: Issues) => unknown>();
for (const f of factories.values())
  for (const [t, fn] of Object.entries(f.perRoute ?? {})) perRouteCompilers.set(t, fn);

export interface RouterOptions {
  suppressEnvoyHeaders: boolean;
}

export interface CompiledFilters {
  filters: HttpFilter[];
  router: RouterOptions;
}

/** HttpConnectionManager.http_filters: known filters built, unknown ones errors unless is_optional. */
export function compileHttpFilters(v: unknown, issues: Issues): CompiledFilters {
  const filters: HttpFilter[] = [];
  const list = asArray(v);
  let router: RouterOptions | undefined;
  list.forEach((raw, i) => {
    const iss = issues.at(i);
    const f = asObj(raw);
    const name = asString(f?.name);
    if (!f || !name) return iss.add('name is required', 'name');
    if (f.disabled === true) return;
    if (f.config_discovery !== undefined)
      return iss.add('config_discovery (ECDS) is not supported', 'config_discovery');
    const type = anyTypeName(f.typed_config);
    if (type === ROUTER_TYPE) {
      if (i !== list.length - 1) iss.add('the router must be the last filter');
      const cfg = f.typed_config as Obj;
      router = { suppressEnvoyHeaders: cfg.suppress_envoy_headers === true };
      return;
    }
    const factory = type ? factories.get(type) : undefined;
    if (!factory) {
      // Optional filters may be skipped by a proxy that lacks them (Envoy's is_optional).
      if (f.is_optional !== true)
        iss.add(`filter ${name} (${type ?? 'no typed_config'}) is not supported by this proxy`);
      return;
    }
    const filter = factory.create(name, f.typed_config as Obj, iss.at('typed_config'));
    if (filter) filters.push(filter);
  });
  if (!router) {
    issues.add('http_filters must end with the router filter (envoy.filters.http.router)');
    router = { suppressEnvoyHeaders: false };
  }
  return { filters, router };
}

/**
 * typed_per_filter_config: compiles each entry by its type. Unknown types are
 * errors unless wrapped in a FilterConfig with is_optional.
 */
export function compilePerFilterConfig(v: unknown, issues: Issues): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const m = asObj(v);
  if (!m) return out;
  for (const [name, cfg] of Object.entries(m)) {
    const iss = issues.at(`["${name}"]`);
    let inner: unknown = cfg;
    let optional = false;
    if (anyTypeName(cfg) === FILTER_CONFIG) {
      const fc = cfg as Obj;
      if (fc.disabled === true) {
        out.set(name, DISABLED);
        continue;
      }
      optional = fc.is_optional === true;
      inner = fc.config;
    }
    const type = anyTypeName(inner);
    const compile = type ? perRouteCompilers.get(type) : undefined;
    if (!compile || !isObj(inner)) {
      if (!optional)
        iss.add(`per-route config ${type ?? '(no @type)'} for ${name} is not supported`);
      continue;
    }
    out.set(name, compile(inner, iss));
  }
  return out;
}

/** Marks a filter disabled for a route (FilterConfig.disabled). */
export const DISABLED = Symbol('disabled');
