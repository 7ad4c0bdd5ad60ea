// request_mirror_policies: a copy of the request goes to the mirror cluster with
// "-shadow" appended to the authority, as Envoy does; its response is discarded
// and never delays or fails the real request.
import type { Mirror } from '../route/types.ts';
import type { ProxyRuntime } from '../runtime.ts';
import type { BodySource, HeaderMap, UpstreamHandler } from '../upstream/types.ts';
import type { RequestContext } from './request-context.ts';

const DISCARD: UpstreamHandler = {
  onHeaders() {},
  onData: () => true,
  onEnd() {},
  onError() {},
};

export function sendMirrors(
  ctx: RequestContext,
  mirrors: readonly Mirror[],
  body: BodySource | null,
  runtime: ProxyRuntime,
): void {
  for (const m of mirrors) {
    if (m.fraction < 1 && Math.random() >= m.fraction) continue;
    const cluster = runtime.clusters.get(m.cluster);
    const host = cluster?.choose({ hash: undefined, rejected: 0 });
    if (!cluster || !host) continue;
    let mirrorBody: BodySource | null = null;
    if (body !== null) {
      if (!body.replayable) continue;
      const stream = body.open();
      mirrorBody = { replayable: false, open: () => stream };
    }
    const headers: HeaderMap = { ...ctx.headers };
    const colon = ctx.authority.lastIndexOf(':');
    const authority =
      colon > 0 && !ctx.authority.endsWith(']')
        ? `${ctx.authority.slice(0, colon)}-shadow${ctx.authority.slice(colon)}`
        : `${ctx.authority}-shadow`;
    try {
      host.pool(cluster.useHttp2(ctx.protocol === 'HTTP/2')).send(
        {
          method: ctx.method,
          path: ctx.path,
          authority,
          scheme: 'http',
          headers,
          body: mirrorBody,
        },
        DISCARD,
      );
    } catch {
      // A mirror must never affect the real request.
    }
  }
}
