// Readiness as Kubernetes probes it. The health port (15021) answers
// `/healthz/ready`: 200 once the first full config (CDS, the EDS those clusters
// wait for, LDS, and the RDS the listeners reference) has been applied, 503 before
// that and from the moment draining starts, so endpoints controllers take the pod
// out of rotation before the listeners close. The status port (15020) answers the
// same path, and is where Istio merges the app's and the proxy's Prometheus metrics:
// that merge belongs to the telemetry work, plugged in through `metrics`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isAppProbePath, type AppProbeHandler } from './app-probes.ts';
import { listen, type ListeningServer } from './http-listen.ts';
import type { Logger } from './log.ts';

/** What readiness needs from the xDS client. */
export interface ReadinessSource {
  /** True once the first full config has been applied (it stays true). */
  initialized(): boolean;
  /** Why not initialized yet, for the 503 body, e.g. "cds updates: 0 successful, 0 rejected". */
  notReadyReason(): string;
}

export class Readiness {
  readonly #source: ReadinessSource;
  #draining = false;

  constructor(source: ReadinessSource) {
    this.#source = source;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on readiness answers 503 (the lifecycle's first step on SIGTERM). */
  startDraining(): void {
    this.#draining = true;
  }

  check(): { ready: boolean; reason: string } {
    if (this.#draining) return { ready: false, reason: 'proxy is draining' };
    if (!this.#source.initialized()) {
      return {
        ready: false,
        reason: `config not received from XDS server: ${this.#source.notReadyReason()}`,
      };
    }
    return { ready: true, reason: '' };
  }
}

function answerReady(readiness: Readiness, res: ServerResponse): void {
  const { ready, reason } = readiness.check();
  if (ready) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end();
  } else {
    res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reason}\n`);
  }
}

function notFound(res: ServerResponse, path: string): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end(`no handler for ${path}\n`);
}

export interface HealthServerOptions {
  readiness: Readiness;
  port: number;
  /** Kubelet probes the pod IP, so all interfaces unless told. */
  host?: string;
  log?: Logger;
}

/** The health port: `/healthz/ready` only. */
export function startHealthServer(options: HealthServerOptions): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    if (path === '/healthz/ready' && (req.method === 'GET' || req.method === 'HEAD'))
      answerReady(options.readiness, res);
    else notFound(res, path);
  });
  return listen(server, 'health server', options.host ?? '0.0.0.0', options.port);
}

export interface StatusServerOptions extends HealthServerOptions {
  /**
   * The telemetry hook: Prometheus text for `/stats/prometheus` (Istio merges the
   * proxy's and the application's metrics here). Without it the path answers 404.
   */
  metrics?: (req: IncomingMessage) => Promise<string> | string;
  /** POST /quitquitquit, as pilot-agent's status port offers: starts the drain and exit. */
  quit?: () => void;
  /** The injector's rewritten app probes, `/app-health/<container>/<kind>` (app-probes.ts). */
  appProbes?: AppProbeHandler;
}

/** The status port: `/healthz/ready`, `/stats/prometheus` (hook), POST `/quitquitquit`, `/app-health/…`. */
export function startStatusServer(options: StatusServerOptions): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://status').pathname;
    if (path === '/healthz/ready') return answerReady(options.readiness, res);
    if (options.appProbes && isAppProbePath(path)) return options.appProbes(req, res, path);
    if (path === '/stats/prometheus' && options.metrics) {
      Promise.resolve()
        .then(() => options.metrics!(req))
        .then(
          (text) =>
            res
              .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
              .end(text),
          (err: unknown) => {
            options.log?.error(
              `status server: metrics: ${err instanceof Error ? err.message : String(err)}`,
            );
            res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
          },
        );
      return;
    }
    if (path === '/quitquitquit' && options.quit) {
      if (req.method !== 'POST')
        return void res.writeHead(405, { allow: 'POST' }).end('use POST\n');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n');
      options.quit();
      return;
    }
    notFound(res, path);
  });
  return listen(server, 'status server', options.host ?? '0.0.0.0', options.port);
}
