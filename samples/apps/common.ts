// What the sample apps share: where to listen, how to reach another service through
// the mesh, and which request headers to pass on. Like Istio's bookinfo apps, they
// copy the request id and trace context from each inbound request to the calls it
// makes, so the mesh can stitch a trace and an access log line per hop together.
//
// Environment (set by `petrel local`, or by a pod spec):
//   LISTEN       host:port to serve on (default 0.0.0.0:8080)
//   MESH_EGRESS  the sidecar's outbound address when there is no traffic capture
//                (Istio's interception mode NONE): calls go to MESH_EGRESS:<service
//                port> with the service as Host header. Unset: call the service by
//                name, and iptables sends the connection to the sidecar.
//   POD_NAME     shown in responses, to see which instance answered
import http from 'node:http';

export const POD_NAME = process.env.POD_NAME ?? 'unknown';

/** Istio's list of headers an app must propagate (bookinfo's productpage), plus end-user for routing. */
export const PROPAGATED_HEADERS = [
  'x-request-id',
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'sw8',
  'end-user',
  'user-agent',
];

export function listenAddress(): { host: string; port: number } {
  const raw = process.env.LISTEN ?? '0.0.0.0:8080';
  const colon = raw.lastIndexOf(':');
  const port = Number(raw.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) {
    console.error(`LISTEN=${raw}: want host:port`);
    process.exit(2);
  }
  return { host: raw.slice(0, colon), port };
}

/** The headers of `incoming` to copy onto an outbound call. */
export function propagate(incoming: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) {
    const v = incoming[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** Where to connect for `service:port`: the sidecar's egress listener, or the service itself. */
export function meshTarget(
  service: string,
  port: number,
): { host: string; port: number; authority: string } {
  const egress = process.env.MESH_EGRESS;
  return { host: egress || service, port, authority: `${service}:${port}` };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply {
  status: number;
  body: string;
}

/** GET http://service:port/path through the mesh; network failures come back as status 0. */
export function meshGet(
  service: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs = 3000,
): Promise<Reply> {
  const t = meshTarget(service, port);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: t.host,
        port: t.port,
        path,
        agent,
        headers: { ...headers, host: t.authority },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (e) => resolve({ status: 0, body: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${service} in ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Starts `server` on LISTEN and stops it cleanly on SIGTERM/SIGINT. */
export function serve(
  name: string,
  server: {
    listen(port: number, host: string, cb: () => void): unknown;
    close(cb?: () => void): unknown;
  },
): void {
  const { host, port } = listenAddress();
  server.listen(port, host, () =>
    console.log(`${name} (${POD_NAME}) listening on ${host}:${port}`),
  );
  onStop(() => server.close());
}

export function onStop(close: () => void): void {
  const stop = () => {
    close();
    // Keep-alive sockets from the sidecar would hold the process open.
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
