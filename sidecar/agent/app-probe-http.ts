// An httpGet probe run from inside the pod, as the kubelet would have run it
// (k8s pkg/probe/http) and as pilot-agent forwards it:
// - GET scheme://host:port/path, HTTPS without certificate checks (the kubelet's
//   InsecureSkipVerify), a fresh connection each time (the kubelet disables keep-alive);
// - the kubelet's request headers forwarded (User-Agent kube-probe/…, Accept, the
//   probe's httpHeaders, which the rewritten probe still carries), the probe's own
//   httpHeaders applied again so a caller without them gets the same request; Host
//   as the kubelet would have sent it to the app (status port swapped for the app's);
// - redirects followed to the same host name, at most 10; a redirect elsewhere ends
//   the probe with that 3xx, which the kubelet counts as success;
// - one deadline (timeoutSeconds) for the whole exchange, redirects included.
// The app's status goes back to the kubelet, except 3xx which becomes 200: a 3xx
// without Location is illegal, and the kubelet passes any 2xx/3xx anyway.
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HttpGetAction, ProbeResult, ProbeTarget } from './app-probers.ts';
import { hostPort } from './app-probe-target.ts';

const MAX_REDIRECTS = 10;
/** The kubelet and pilot-agent read at most 10 KiB of a probe's body. */
const MAX_BODY = 10 * 1024;
const FOLLOWED = new Set([301, 302, 303, 307, 308]);
/** Not forwarded from the kubelet: hop-by-hop (RFC 9110 §7.6.1), and what this request sets itself. */
const NOT_FORWARDED = new Set([
  ...'connection keep-alive proxy-connection transfer-encoding te trailer upgrade'.split(' '),
  'content-length',
  'host',
]);

export interface HttpProbeInput {
  action: HttpGetAction;
  target: ProbeTarget;
  timeoutMs: number;
  /** The kubelet's request headers. */
  incoming: IncomingHttpHeaders;
  /** The status port the kubelet called, swapped for the app's port in a forwarded Host. */
  statusPort: number;
}

function firstUrl(action: HttpGetAction, target: ProbeTarget): URL {
  const url = new URL(
    `${action.scheme === 'HTTPS' ? 'https' : 'http'}://${hostPort(target.host, target.port)}`,
  );
  const raw = action.path ?? '/';
  const path = raw.startsWith('/') ? raw : `/${raw}`;
  const q = path.indexOf('?');
  url.pathname = q < 0 ? path : path.slice(0, q);
  url.search = q < 0 ? '' : path.slice(q);
  return url;
}

function hostHeader(input: HttpProbeInput): string {
  const kubelet = input.incoming.host;
  if (!input.action.host && kubelet) {
    const m = /^(.*):(\d+)$/.exec(kubelet);
    return m && Number(m[2]) === input.statusPort ? `${m[1]}:${input.target.port}` : kubelet;
  }
  return hostPort(input.target.host, input.target.port);
}

function requestHeaders(input: HttpProbeInput): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(input.incoming))
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  const own = new Map<string, string[]>();
  for (const h of input.action.httpHeaders ?? []) {
    const name = h.name.toLowerCase();
    own.set(name, [...(own.get(name) ?? []), h.value]);
  }
  for (const [name, values] of own) headers[name] = values.length === 1 ? values[0] : values;
  headers.host ??= hostHeader(input);
  headers['user-agent'] ??= 'kube-probe/petrel';
  headers.accept ??= '*/*';
  headers.connection = 'close';
  return headers;
}

interface Answer {
  status: number;
  location?: string;
  body: string;
}

function get(
  url: URL,
  headers: OutgoingHttpHeaders,
  source: string | undefined,
  signal: AbortSignal,
): Promise<Answer> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        agent: false,
        signal,
        rejectUnauthorized: false,
        ...(source ? { localAddress: source } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
          });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY) {
            res.destroy();
            done();
          }
        });
        res.once('end', done);
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

export async function httpProbe(input: HttpProbeInput): Promise<ProbeResult> {
  let url = firstUrl(input.action, input.target);
  const headers = requestHeaders(input);
  const signal = AbortSignal.timeout(input.timeoutMs);
  const what = () => `http GET ${url.href}`;
  try {
    for (let redirects = 0; ; redirects++) {
      const answer = await get(url, headers, input.target.source, signal);
      if (answer.status >= 300 && answer.status < 400) {
        if (!FOLLOWED.has(answer.status) || !answer.location) return { status: 200, body: '' };
        const next = new URL(answer.location, url);
        if (next.hostname !== url.hostname) return { status: 200, body: '' };
        if (redirects + 1 >= MAX_REDIRECTS)
          return {
            status: 500,
            body: '',
            error: `${what()}: stopped after ${MAX_REDIRECTS} redirects`,
          };
        // Go's client keeps a custom Host through a relative redirect only.
        if (/^[a-z][a-z0-9+.-]*:/i.test(answer.location)) headers.host = next.host;
        url = next;
        continue;
      }
      const error = answer.status >= 400 ? `${what()}: HTTP ${answer.status}` : undefined;
      return { status: answer.status, body: answer.body, ...(error ? { error } : {}) };
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = signal.aborted
      ? `no answer within ${input.timeoutMs} ms`
      : (e.code ?? e.message ?? String(err));
    return { status: 500, body: '', error: `${what()}: ${why}` };
  }
}
