// envoy.filters.http.ext_authz: holds each request while an external authorizer
// (gRPC Authorization/Check or a plain HTTP service) decides, then lets it through
// with the authorizer's header edits, answers with the authorizer's denial, or —
// when the authorizer cannot be asked — fails closed with status_on_error (or open
// with failure_mode_allow). Istio's AuthorizationPolicy CUSTOM puts it behind an
// RBAC filter whose shadow rules mark the requests to check (filter_enabled_metadata).
//
// Stats as Envoy names them: `http.<hcm stat_prefix>.ext_authz.[<stat_prefix>.]ok|
// denied|error|failure_mode_allowed|disabled`. Access log: response code details
// ext_authz_denied / ext_authz_error and flag UAEX on refusals.
import type { HeaderMap } from '../upstream/types.ts';
import { BodyBuffer } from './ext-authz-body.ts';
import { httpCheckRequest, type CheckBody } from './ext-authz-check.ts';
import {
  compileExtAuthz,
  compileExtAuthzPerRoute,
  EXT_AUTHZ_PER_ROUTE_TYPE,
  EXT_AUTHZ_TYPE,
  type BodySettings,
  type ExtAuthzConfig,
  type ExtAuthzPerRoute,
} from './ext-authz-config.ts';
import { callGrpcService } from './ext-authz-grpc.ts';
import { callHttpService } from './ext-authz-http.ts';
import {
  applyEdits,
  editableRequestHeader,
  editQuery,
  editsValid,
  type AuthzDenied,
  type AuthzOk,
  type AuthzResult,
  type HeaderEdit,
} from './ext-authz-result.ts';
import { dynamicMetadata, setDynamicMetadata } from './request-facts.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

/** The dynamic metadata namespace the authorizer's metadata goes to (the filter's canonical name). */
const METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
const FAILURE_MODE_HEADER = 'x-envoy-auth-failure-mode-allowed';
const NO_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({});
const DETAILS_DENIED = 'ext_authz_denied';
const DETAILS_ERROR = 'ext_authz_error';
/** Envoy's reply when a body passes the buffer limit. */
const PAYLOAD_TOO_LARGE = 'Payload Too Large';

type Counter = 'ok' | 'denied' | 'error' | 'failure_mode_allowed' | 'disabled' | 'invalid';
const COUNTERS: readonly Counter[] = [
  'ok',
  'denied',
  'error',
  'failure_mode_allowed',
  'disabled',
  'invalid',
];

class ExtAuthzFilter implements HttpFilter {
  readonly name: string;
  private readonly cfg: ExtAuthzConfig;
  /** Full stat names by connection manager stat_prefix, built once each. */
  private readonly statNames = new Map<string, Record<Counter, string>>();
  /** Response header edits an allowed request carries to its response (encodeHeaders). */
  private readonly responseEdits = new WeakMap<HttpFilterContext, HeaderEdit[]>();

  constructor(name: string, cfg: ExtAuthzConfig) {
    this.name = name;
    this.cfg = cfg;
  }

  private count(ctx: HttpFilterContext, c: Counter): void {
    let names = this.statNames.get(ctx.statPrefix);
    if (!names) {
      const own = this.cfg.statPrefix === '' ? '' : `${this.cfg.statPrefix}.`;
      const base = `http.${ctx.statPrefix}.ext_authz.${own}`;
      names = Object.fromEntries(COUNTERS.map((n) => [n, `${base}${n}`])) as Record<
        Counter,
        string
      >;
      this.statNames.set(ctx.statPrefix, names);
    }
    ctx.stats.inc(names[c]);
  }

  private enabled(ctx: HttpFilterContext): boolean {
    const cfg = this.cfg;
    if (cfg.enabledFraction !== undefined && !(Math.random() < cfg.enabledFraction)) return false;
    return cfg.enabledMetadata === undefined || cfg.enabledMetadata(dynamicMetadata(ctx));
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const perRoute = ctx.perFilterConfig(this.name) as ExtAuthzPerRoute | undefined;
    if (perRoute?.disabled) return true;
    const cfg = this.cfg;
    if (!this.enabled(ctx)) {
      this.count(ctx, 'disabled');
      if (!cfg.denyAtDisable) return true;
      ctx.sendLocalReply(cfg.statusOnError, '', { flag: 'UAEX', details: DETAILS_ERROR });
      return false;
    }
    const settings = bodySettings(cfg, perRoute);
    const src = ctx.body;
    const ext = perRoute?.contextExtensions ?? NO_EXTENSIONS;
    if (!settings || src === null) {
      this.check(ctx, ext, null);
      return false;
    }
    const buffer = new BodyBuffer(src, settings, (o) => {
      ctx.setCancel(null);
      if (ctx.ended) return;
      if (o.kind === 'too-large') {
        ctx.sendLocalReply(413, PAYLOAD_TOO_LARGE, { details: 'request_payload_too_large' });
      } else if (o.kind === 'gone') {
        ctx.sendLocalReply(400, '', { details: 'downstream_body_failed' });
      } else {
        ctx.body = buffer.replay();
        this.check(ctx, ext, o.body);
      }
    });
    ctx.setCancel(() => buffer.detach());
    return false;
  }

  /** Asks the authorizer; the request waits (its cancel aborts the call). */
  private check(
    ctx: HttpFilterContext,
    ext: Readonly<Record<string, string>>,
    body: CheckBody | null,
  ): void {
    const cfg = this.cfg;
    const service = cfg.service;
    const done = (r: AuthzResult): void => {
      ctx.setCancel(null);
      if (!ctx.ended) this.onResult(ctx, r);
    };
    const cluster = ctx.upstreamCluster(service.cluster);
    if (!cluster) {
      // Envoy's async client fails such a call at once; the decision is an error.
      queueMicrotask(() =>
        done({ status: 'error', reason: `cluster ${service.cluster} not found` }),
      );
      return;
    }
    const cancel =
      service.kind === 'grpc'
        ? callGrpcService(cluster, service, httpCheckRequest(ctx, cfg, ext, body), done)
        : callHttpService(ctx, cfg, service, cluster, body, done);
    ctx.setCancel(cancel);
  }

  private onResult(ctx: HttpFilterContext, r: AuthzResult): void {
    const cfg = this.cfg;
    if (
      r.status !== 'error' &&
      r.metadata &&
      Object.keys(r.metadata).length > 0 &&
      cfg.ingestMetadata
    )
      setDynamicMetadata(ctx, METADATA_NAMESPACE, r.metadata);
    if (r.status === 'ok') this.allow(ctx, r);
    else if (r.status === 'denied') this.deny(ctx, r);
    else this.fail(ctx);
  }

  private allow(ctx: HttpFilterContext, r: AuthzOk): void {
    if (this.cfg.validateMutations && (!editsValid(r.request) || !editsValid(r.response)))
      return this.reject(ctx);
    const headers = ctx.request.headers;
    applyEdits(
      headers,
      r.request.filter((e) => editableRequestHeader(e.key)),
    );
    for (const k of r.remove) if (editableRequestHeader(k)) delete headers[k];
    if (r.querySet.length > 0 || r.queryRemove.length > 0)
      ctx.setPath(editQuery(ctx.request.path, r.querySet, r.queryRemove));
    if (r.response.length > 0) this.responseEdits.set(ctx, r.response);
    this.count(ctx, 'ok');
    ctx.continueDecoding();
  }

  private deny(ctx: HttpFilterContext, r: AuthzDenied): void {
    this.count(ctx, 'denied');
    if (this.cfg.validateMutations && !editsValid(r.headers)) return this.reject(ctx);
    const headers: HeaderMap = {};
    applyEdits(headers, r.headers);
    ctx.sendLocalReply(r.httpStatus, r.body, { headers, flag: 'UAEX', details: DETAILS_DENIED });
  }

  /** The authorizer could not decide: fail open (failure_mode_allow) or closed. */
  private fail(ctx: HttpFilterContext): void {
    const cfg = this.cfg;
    this.count(ctx, 'error');
    if (!cfg.failureModeAllow) {
      ctx.sendLocalReply(cfg.statusOnError, '', { flag: 'UAEX', details: DETAILS_ERROR });
      return;
    }
    this.count(ctx, 'failure_mode_allowed');
    if (cfg.failureModeAllowHeaderAdd) ctx.request.headers[FAILURE_MODE_HEADER] = 'true';
    ctx.continueDecoding();
  }

  /** validate_mutations refused the authorizer's edits: Envoy answers 500. */
  private reject(ctx: HttpFilterContext): void {
    this.count(ctx, 'invalid');
    ctx.sendLocalReply(500, '', { details: 'ext_authz_invalid' });
  }

  encodeHeaders(ctx: HttpFilterContext, _status: number, headers: HeaderMap): void {
    const edits = this.responseEdits.get(ctx);
    if (edits) applyEdits(headers, edits);
  }
}

/** The body settings for this request: the route's override, the filter's, or none. */
function bodySettings(
  cfg: ExtAuthzConfig,
  perRoute: ExtAuthzPerRoute | undefined,
): BodySettings | undefined {
  if (perRoute?.disableBody) return undefined;
  return perRoute?.body ?? cfg.body;
}

export const extAuthzFactory: HttpFilterFactory = {
  typeName: EXT_AUTHZ_TYPE,
  create(name, config, issues) {
    const cfg = compileExtAuthz(config, issues);
    return cfg ? new ExtAuthzFilter(name, cfg) : undefined;
  },
  perRoute: { [EXT_AUTHZ_PER_ROUTE_TYPE]: compileExtAuthzPerRoute },
};
