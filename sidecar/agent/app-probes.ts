// The app probes the injector rewrote (injector/probes.ts): the kubelet GETs
// `/app-health/<container>/<readyz|livez|startupz>` on the status port, and the
// agent runs the original httpGet, tcpSocket or grpc probe from inside the pod,
// as pilot-agent's status server does. The kubelet gets 200 when a TCP or gRPC
// probe passes and 500 when it fails; for httpGet it gets the app's own status
// (a 3xx turned into 200) and up to 10 KiB of its body, or 500 when the app
// could not be reached in time. A path with no prober answers 404 (pilot-agent
// answers 400; the kubelet fails the probe either way).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { probeTimeoutMs, type AppProbers, type ProbeResult } from './app-probers.ts';
import { grpcProbe } from './app-probe-grpc.ts';
import { httpProbe } from './app-probe-http.ts';
import { probeTarget } from './app-probe-target.ts';
import { tcpProbe } from './app-probe-tcp.ts';
import { errorLine } from './errors.ts';
import type { Logger } from './log.ts';

/** The paths the status server hands to the app probes (pilot-agent's two mux prefixes). */
export function isAppProbePath(path: string): boolean {
  return path.startsWith('/app-health/') || path.startsWith('/app-lifecycle/');
}

export interface AppProbeOptions {
  probers: AppProbers;
  /** The pod's IPs (INSTANCE_IP); probes naming no host go to the first, as the kubelet's do. */
  podIps: readonly string[];
  /** The `probes` logger: failures are the app's, not the proxy's, so they have their own scope. */
  log?: Logger;
}

export type AppProbeHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

/** Runs the prober for `path`; undefined when there is none. */
function runAppProbe(
  options: AppProbeOptions,
  path: string,
  req: IncomingMessage,
): Promise<ProbeResult> | undefined {
  const prober = options.probers.get(path);
  if (!prober) return undefined;
  const timeoutMs = probeTimeoutMs(prober);
  if (prober.httpGet) {
    return httpProbe({
      action: prober.httpGet,
      target: probeTarget(prober.httpGet.port, prober.httpGet.host, options.podIps),
      timeoutMs,
      incoming: req.headers,
      statusPort: req.socket.localPort ?? 0,
    });
  }
  if (prober.tcpSocket) {
    const { port, host } = prober.tcpSocket;
    return tcpProbe(probeTarget(port, host, options.podIps), timeoutMs);
  }
  const grpc = prober.grpc!;
  return grpcProbe(
    probeTarget(grpc.port, undefined, options.podIps),
    grpc.service ?? '',
    timeoutMs,
    req.headers['user-agent'],
  );
}

/** The status server's handler for the app probe paths. */
export function appProbeHandler(options: AppProbeOptions): AppProbeHandler {
  return (req, res, path) => {
    const running = runAppProbe(options, path, req);
    if (!running) {
      options.log?.warn(`no app prober for ${path}`);
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no app prober for ${path}\n`);
      return;
    }
    void running
      .catch((err: unknown): ProbeResult => ({ status: 500, body: '', error: errorLine(err) }))
      .then((result) => {
        if (result.error) options.log?.warn(`${path}: ${result.error}`);
        const body = result.body || (result.error ? `${result.error}\n` : '');
        res.writeHead(result.status, { 'content-type': 'text/plain' }).end(body);
      });
  };
}
