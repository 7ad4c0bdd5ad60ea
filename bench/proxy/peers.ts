// The backend and the reference reverse proxies, configured alike: HTTP/1.1 with
// keep-alive on both sides, one worker/thread/event loop, no access log. Each
// runs as one process so /proc/PID/stat holds all of its CPU time (nginx with
// master_process off: its worker would otherwise be a child whose time the
// master's stat does not count).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers, startPinned, waitReady } from './processes.ts';
import type { Placement, Running } from './processes.ts';

export const BODY_BYTES = 1024;
const REPO = new URL('../../', import.meta.url).pathname;

export function nginxCommon(dir: string): string {
  const t = (n: string) => join(dir, n);
  return `worker_processes 1;
master_process off;
daemon off;
pid ${t('nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
`;
}

export async function startNginx(
  name: string,
  dir: string,
  conf: string,
  place: Placement,
  url: string,
): Promise<Running> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const p = startPinned(name, place, 'nginx', [
    '-e',
    'stderr',
    '-p',
    dir,
    '-c',
    join(dir, 'nginx.conf'),
  ]);
  await waitReady(p, 10_000, () => answers(url, BODY_BYTES));
  return p;
}

/**
 * The backend: nginx serving a 1 KB static file on every path, and /probe
 * echoing the headers a proxy adds (trace context, request id, Istio's peer
 * metadata), so the run can say which Petrel features were on.
 */
export function startBackend(dir: string, port: number, place: Placement): Promise<Running> {
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www', 'body.txt'), 'p'.repeat(BODY_BYTES - 1) + '\n');
  const conf = `${nginxCommon(dir)}
  server {
    listen 127.0.0.1:${port};
    root ${join(dir, 'www')};
    default_type text/plain;
    location = /probe {
      return 200 "traceparent=$http_traceparent b3=$http_x_b3_traceid request_id=$http_x_request_id peer_metadata_id=$http_x_envoy_peer_metadata_id request_length=$request_length\\n";
    }
    location / { try_files /body.txt =404; }
  }
}
`;
  return startNginx('backend (nginx)', dir, conf, place, `http://127.0.0.1:${port}/`);
}

export function startNginxProxy(
  dir: string,
  port: number,
  backendPort: number,
  place: Placement,
): Promise<Running> {
  const conf = `${nginxCommon(dir)}
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  return startNginx('nginx', dir, conf, place, `http://127.0.0.1:${port}/`);
}

export async function startHaproxy(
  dir: string,
  port: number,
  backendPort: number,
  place: Placement,
): Promise<Running> {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  nbthread 1
  maxconn 4000
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend bench
  bind 127.0.0.1:${port}
  default_backend backend
backend backend
  server b1 127.0.0.1:${backendPort}
`,
  );
  // -db: foreground, no master process, so the pid is the one doing the work.
  const p = startPinned('haproxy', place, 'haproxy', ['-db', '-f', cfg]);
  await waitReady(p, 10_000, () => answers(`http://127.0.0.1:${port}/`, BODY_BYTES));
  return p;
}

/** A Node peer from node-peers/ (fastify-proxy.ts, passthrough.ts) on Node 24. */
export async function startNodePeer(
  name: string,
  script: string,
  port: number,
  backendPort: number,
  place: Placement,
  nodeFlags: readonly string[] = [],
): Promise<Running> {
  const p = startPinned(
    name,
    place,
    process.execPath,
    [
      ...nodeFlags,
      join(REPO, 'bench/proxy/node-peers', script),
      String(port),
      `127.0.0.1:${backendPort}`,
    ],
    { cwd: REPO },
  );
  await waitReady(p, 20_000, () => answers(`http://127.0.0.1:${port}/`, BODY_BYTES));
  return p;
}
