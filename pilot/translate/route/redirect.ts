// VirtualService redirect and directResponse → Envoy redirect / direct_response
// actions. FROM_REQUEST_PORT can be resolved statically because routes are built per
// listening port; :80 on http and :443 on https are left implicit, as Istio does.
import type { HTTPRoute } from '../../../api/istio/index.ts';

const REDIRECT_CODES: Record<number, string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** The redirect action, or undefined for a redirect code Envoy cannot send (the route is dropped). */
export function redirectAction(
  redirect: NonNullable<HTTPRoute['redirect']>,
  listenPort: number,
  isTls: boolean,
): Record<string, unknown> | undefined {
  const code = REDIRECT_CODES[redirect.redirectCode ?? 301];
  if (!code) return undefined;
  const out: Record<string, unknown> = { response_code: code };
  if (redirect.authority) out.host_redirect = redirect.authority;
  if (redirect.uri) out.path_redirect = redirect.uri;
  if (redirect.scheme) out.scheme_redirect = redirect.scheme;
  let port: number | undefined;
  if (redirect.port !== undefined) port = redirect.port;
  else if (redirect.derivePort === 'FROM_REQUEST_PORT') port = listenPort;
  if (port !== undefined) {
    const scheme = redirect.scheme || (isTls ? 'https' : 'http');
    if (!((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')))
      out.port_redirect = port;
  }
  return out;
}

export function directResponseAction(
  direct: NonNullable<HTTPRoute['directResponse']>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { status: direct.status };
  if (direct.body?.string !== undefined) out.body = { inline_string: direct.body.string };
  else if (direct.body?.bytes !== undefined) out.body = { inline_bytes: direct.body.bytes };
  return out;
}
