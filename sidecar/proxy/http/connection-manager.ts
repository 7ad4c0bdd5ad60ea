// The HTTP connection manager's request path: normalise the request, add Envoy's
// headers, pick the route, run the decoder filters, then act on the route (direct
// response, redirect, or the router).
import type http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { RequestRecord } from '../record.ts';
import { requestHash } from '../route/hash-policy.ts';
import { redirectLocation, stripPort } from '../route/redirect.ts';
import { pickWeighted } from '../route/route-action.ts';
import type { RouteTable } from '../route/route-table.ts';
import type { ClusterAction, CompiledRoute } from '../route/types.ts';
import type { ProxyRuntime } from '../runtime.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { H1Responder, H2Responder, type Responder } from './downstream.ts';
import { applyEnvoyRequestHeaders, upstreamRequestHeaders } from './envoy-headers.ts';
import type { HcmConfig } from './hcm-config.ts';
import { routeTimeout } from './grpc-timeout.ts';
import { sendMirrors } from './mirror.ts';
import { RequestContext, type ConnectionInfo, type DecodeResumer } from './request-context.ts';
import { RouterFlow } from './router.ts';
import { prepareUpstreamRequest } from './upstream-request.ts';
import { RawResponder, tunnel } from './upgrade.ts';

const { NGHTTP2_FLAG_END_STREAM } = http2.constants;

export class HttpConnectionManager implements DecodeResumer {
  readonly cfg: HcmConfig;
  private readonly runtime: ProxyRuntime;

  constructor(cfg: HcmConfig, runtime: ProxyRuntime) {
    this.cfg = cfg;
    this.runtime = runtime;
  }

  handleH1(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionInfo): void {
    const rec = new RequestRecord(
      conn.listenerName,
      req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1',
      performance.now(),
    );
    const raw = req.headers as HeaderMap;
    let authority = typeof raw.host === 'string' ? raw.host : '';
    let path = req.url ?? '/';
    if (path.charCodeAt(0) !== 47 && /^https?:\/\//i.test(path)) {
      // Absolute-form request target (a client talking to us as a forward proxy).
      const u = new URL(path);
      authority = u.host;
      path = u.pathname + u.search;
    }
    const cl = raw['content-length'];
    const hasBody = cl !== undefined ? cl !== '0' : raw['transfer-encoding'] !== undefined;
    const headers = upstreamRequestHeaders(raw, 'h1');
    const ctx = new RequestContext(
      this.cfg,
      this.runtime,
      conn,
      rec,
      new H1Responder(res),
      this,
      req.method ?? 'GET',
      authority,
      path,
      conn.tls ? 'https' : 'http',
      headers,
      hasBody ? req : null,
    );
    this.start(ctx);
  }

  handleH2(
    stream: http2.ServerHttp2Stream,
    raw: http2.IncomingHttpHeaders,
    flags: number,
    conn: ConnectionInfo,
  ): void {
    const rec = new RequestRecord(conn.listenerName, 'HTTP/2', performance.now());
    const method = String(raw[':method'] ?? 'GET');
    const path = String(raw[':path'] ?? '');
    const authority = String(raw[':authority'] ?? raw.host ?? '');
    const scheme = String(raw[':scheme'] ?? 'http');
    const headers = upstreamRequestHeaders(raw as HeaderMap, 'h2');
    const ctx = new RequestContext(
      this.cfg,
      this.runtime,
      conn,
      rec,
      new H2Responder(stream),
      this,
      method,
      authority,
      path,
      scheme,
      headers,
      (flags & NGHTTP2_FLAG_END_STREAM) !== 0 ? null : stream,
    );
    this.start(ctx);
  }

  /** HTTP/1.1 Upgrade (websocket and friends): routed like any request, then tunnelled. */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
    conn: ConnectionInfo,
  ): void {
    const rec = new RequestRecord(conn.listenerName, 'HTTP/1.1', performance.now());
    const raw = req.headers as HeaderMap;
    const authority = typeof raw.host === 'string' ? raw.host : '';
    const upgrade = String(raw.upgrade ?? '').toLowerCase();
    const headers = upstreamRequestHeaders(raw, 'upgrade');
    const responder = new RawResponder(socket);
    const ctx = new RequestContext(
      this.cfg,
      this.runtime,
      conn,
      rec,
      responder,
      this,
      req.method ?? 'GET',
      authority,
      req.url ?? '/',
      'http',
      headers,
      null,
    );
    ctx.upgrade = { socket, head, type: upgrade };
    this.start(ctx);
  }

  private start(ctx: RequestContext): void {
    const rec = ctx.record;
    const cfg = this.cfg;
    if (
      cfg.stripPort === 'any' ||
      (cfg.stripPort === 'matching' && ctx.authority.endsWith(`:${ctx.conn.localPort}`))
    ) {
      ctx.authority = stripPort(ctx.authority);
    }
    rec.method = ctx.method;
    rec.authority = ctx.authority;
    rec.path = ctx.path;
    rec.setDownstream(ctx.conn);
    const ua = ctx.headers['user-agent'];
    if (typeof ua === 'string') rec.userAgent = ua;
    const cl = ctx.headers['content-length'];
    if (typeof cl === 'string') rec.bytesReceived = Number(cl) || 0;
    rec.requestId = applyEnvoyRequestHeaders(ctx.headers, cfg, ctx.conn, ctx.scheme);
    rec.grpc = ctx.isGrpc;
    const xff = ctx.headers['x-forwarded-for'];
    if (xff !== undefined) rec.forwardedFor = Array.isArray(xff) ? xff.join(',') : xff;
    // Before routing, with the direction taken from the listener: requests no route
    // takes (404 NR) still exchange peer metadata and get a span, as in Envoy.
    this.runtime.telemetry?.onRequestHeaders(rec, ctx.headers);
    const table =
      cfg.routes.kind === 'inline' ? cfg.routes.table : this.runtime.routeTable(cfg.routes.name);
    const route = table?.route(ctx);
    // No route: the decoder filters still run (RBAC may refuse with 403, JWT with 401)
    // and the 404 comes after them, where Envoy's router sends it.
    if (route) this.takeRoute(ctx, table!, route);
    this.resume(ctx);
  }

  private takeRoute(ctx: RequestContext, table: RouteTable, route: CompiledRoute): void {
    const rec = ctx.record;
    if (table.internalOnlyHeaders.length > 0)
      for (const h of table.internalOnlyHeaders) delete ctx.headers[h];
    ctx.route = route;
    rec.routeName = route.name;
    rec.virtualHostName = route.virtualHost.name;
    if (route.operation !== undefined) rec.operationName = route.operation;
    const action = route.action;
    if (action.kind === 'route') {
      let name = action.cluster;
      if (name === undefined && action.weighted) {
        ctx.weighted = pickWeighted(action.weighted);
        name = ctx.weighted.name;
      } else if (name === undefined && action.clusterHeader) {
        name = ctx.header(action.clusterHeader);
      }
      ctx.clusterName = name;
      rec.upstreamCluster = name ?? '';
    }
  }

  /** Runs decoder filters from where the request stands, then the route's action. */
  resume(ctx: RequestContext): void {
    const filters = this.cfg.filters;
    while (ctx.filterIndex < filters.length) {
      const f = filters[ctx.filterIndex++]!;
      if (ctx.filterDisabled(f.name)) continue;
      if (!f.decodeHeaders(ctx) || ctx.ended) return;
    }
    this.act(ctx);
  }

  private act(ctx: RequestContext): void {
    const route = ctx.route;
    if (!route) {
      ctx.sendLocalReply(404, '', { flag: 'NR', details: 'route_not_found' });
      return;
    }
    const action = route.action;
    switch (action.kind) {
      case 'direct':
        ctx.sendLocalReply(action.status, action.body, { details: 'direct_response' });
        return;
      case 'redirect':
        ctx.sendLocalReply(action.redirect.status, '', {
          headers: { location: redirectLocation(action.redirect, ctx, route.rewriteBase) },
          details: 'direct_response',
        });
        return;
      case 'non-forwarding':
        ctx.sendLocalReply(404, '', { flag: 'NR', details: 'route_not_found' });
        return;
      case 'route':
        this.forward(ctx, action);
    }
  }

  private forward(ctx: RequestContext, action: ClusterAction): void {
    const name = ctx.clusterName;
    const cluster = name === undefined ? undefined : this.runtime.clusters.get(name);
    if (!cluster) {
      ctx.sendLocalReply(action.clusterNotFoundCode, '', {
        flag: 'NC',
        details: 'cluster_not_found',
      });
      return;
    }
    prepareUpstreamRequest(ctx, action);
    const originalPath = ctx.headers['x-envoy-original-path'];
    if (typeof originalPath === 'string') ctx.record.originalPath = originalPath;
    let hash: number | undefined;
    if (action.hashPolicies.length > 0) {
      hash = requestHash(action.hashPolicies, ctx, (p, value) => {
        const c = p.cookie!;
        ctx.setCookie = `${c.name}="${value}"; Max-Age=${c.ttlS}${c.path ? `; Path=${c.path}` : ''}; HttpOnly`;
      });
    }
    if (ctx.upgrade) {
      // Route-level upgrade_configs override the connection manager's (Envoy's rule).
      const type = ctx.upgrade.type;
      if ((action.upgrades?.get(type) ?? this.cfg.upgrades.get(type)) !== true) {
        ctx.sendLocalReply(403, '', { details: 'upgrade_failed' });
        return;
      }
      tunnel(ctx, cluster, hash);
      return;
    }
    const timeout = routeTimeout(ctx, action);
    if (timeout > 0 && !this.cfg.router.suppressEnvoyHeaders)
      ctx.headers['x-envoy-expected-rq-timeout-ms'] = String(timeout);
    const flow = new RouterFlow(ctx, action, cluster, hash);
    flow.armTimeout(timeout);
    if (action.mirrors.length > 0) sendMirrors(ctx, action.mirrors, flow.body, this.runtime);
    flow.start();
  }
}

export type { Responder };
