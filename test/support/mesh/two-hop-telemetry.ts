// A two-hop mesh in one process for the telemetry tests: a real pilot in file mode,
// Petrel's gateway (router) and a sidecar next to the app `web`, each with the
// telemetry `petrel proxy` attaches (same flags parsing, same wiring), and a real
// HTTP app. client → gateway :gatewayPort → (EDS: web's pod IP) → sidecar
// virtualInbound → inbound|APP|| → app on 127.0.0.1:APP.
//
// Without capture rules in this process, a small TCP relay on the pod IP stands in
// for iptables' REDIRECT to 15006, and the sidecar's original-destination lookup
// answers what SO_ORIGINAL_DST would (the pod's IP and port). The real kernel path
// is proven in test/sidecar/pod-mesh.e2e.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attachTelemetry,
  telemetryConfigFromFlags,
  type ProxyTelemetry,
} from '../../../cli/commands/proxy-telemetry.ts';
import { startPilot, type RunningPilot } from '../../../pilot/main.ts';
import type { Agent } from '../../../sidecar/agent/agent.ts';
import type { NodeIdentityOptions } from '../../../sidecar/agent/node-identity.ts';
import { ProxyDataPlane, type DataPlaneOptions } from '../../../sidecar/proxy/data-plane.ts';
import { httpBackend, type Backend } from '../../sidecar/proxy/support/backends.ts';
import { INBOUND_CAPTURE_PORT, startCaptureRelay } from './capture-relay.ts';
import { freePort, httpGatewayYaml } from './gateway-under-pilot.ts';
import { closeTestAgent, startTestAgent, untilAgentReady } from './test-agent.ts';

export const WEB_HOST = 'web.default.svc.cluster.local';
export const WEB_SERVICE_PORT = 8000;
/** Where the virtual listeners bind: Istio's fixed port numbers on the pod's own loopback IP. */

export interface MeshProxy {
  agent: Agent;
  dataPlane: ProxyDataPlane;
  wired: ProxyTelemetry;
  /** http://127.0.0.1:PORT/stats/prometheus (the 15090 equivalent). */
  statsUrl: string;
  statsPort: number;
  accessLogPath: string;
}

export interface TwoHopMesh {
  /** http://127.0.0.1:PORT of the gateway's listener. */
  gatewayUrl: string;
  gateway: MeshProxy;
  sidecar: MeshProxy;
  app: Backend;
  podIp: string;
  appPort: number;
  close(): Promise<void>;
}

export interface TwoHopMeshOptions {
  /** The app pod's IP: a 127/8 address no other test uses (the sidecar's listeners bind it). */
  podIp: string;
  /** OTLP/HTTP endpoint for both proxies' traces (sampled at 100%). */
  tracingEndpoint?: string;
  /** The app's answer; the default echoes the request, /app/fail answers 500 (503 would be retried by Istio's default retry policy). */
  appHandler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
}

function meshYaml(gatewayPort: number, podIp: string, appPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, labels: { app: web } }
spec:
  clusterIP: 10.96.71.10
  selector: { app: web }
  ports: [{ name: http, port: ${WEB_SERVICE_PORT}, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: web-v1, namespace: default, labels: { app: web, version: v1 } }
spec:
  serviceAccountName: web
  containers: [{ name: web, image: web, ports: [{ name: http, containerPort: ${appPort} }] }]
status: { podIP: ${podIp}, phase: Running }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-v1, namespace: default, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${appPort}, protocol: TCP }]
endpoints:
  - addresses: [${podIp}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: default, name: web-v1 }
---
${httpGatewayYaml(
  gatewayPort,
  `
    - match: [{ uri: { prefix: /app } }]
      route: [{ destination: { host: web, port: { number: ${WEB_SERVICE_PORT} } } }]
`,
)}`;
}

function defaultApp(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  res.writeHead(req.url?.startsWith('/app/fail') ? 500 : 200, {
    'content-type': 'application/json',
  });
  res.end(JSON.stringify({ url: req.url, headers: req.headers, body }));
}

async function startProxy(
  xdsAddress: string,
  identity: NodeIdentityOptions,
  dir: string,
  dataPlaneOptions: DataPlaneOptions,
  tracingEndpoint: string | undefined,
  accessLogEncoding: 'TEXT' | 'JSON',
): Promise<MeshProxy> {
  const accessLogPath = join(dir, `${identity.podName}.access.log`);
  // The same flags `petrel proxy` takes, through the same parser.
  const config = telemetryConfigFromFlags(
    {
      'stats-port': '0',
      'access-log': accessLogPath,
      'access-log-encoding': accessLogEncoding,
      ...(tracingEndpoint
        ? {
            'tracing-endpoint': tracingEndpoint,
            'tracing-sampling': '100',
            'tracing-propagation': 'w3c,b3',
          }
        : {}),
    },
    {},
  );
  const dataPlane = new ProxyDataPlane(dataPlaneOptions);
  let wired: ProxyTelemetry | undefined;
  const startedAt = new Date();
  const agent = await startTestAgent({
    xdsAddress,
    dataPlane,
    identity,
    prometheus: (stats) => wired!.telemetry.prometheus(stats),
    metrics: (req) => wired!.telemetry.statusMetrics(req),
  });
  wired = await attachTelemetry({ dataPlane, agent, config, startedAt, statsHost: '127.0.0.1' });
  await untilAgentReady(agent, identity.podName ?? 'proxy');
  return {
    agent,
    dataPlane,
    wired,
    statsPort: wired.stats.port,
    statsUrl: `http://127.0.0.1:${wired.stats.port}/stats/prometheus`,
    accessLogPath,
  };
}

async function stopProxy(p: MeshProxy | undefined): Promise<void> {
  if (!p) return;
  await closeTestAgent(p.agent);
  await p.wired.close();
  p.dataPlane.close();
}

export async function startTwoHopMesh(options: TwoHopMeshOptions): Promise<TwoHopMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-telemetry-mesh-'));
  const { podIp } = options;
  let pilot: RunningPilot | undefined;
  let relay: net.Server | undefined;
  let app: Backend | undefined;
  let gateway: MeshProxy | undefined;
  let sidecar: MeshProxy | undefined;
  const close = async () => {
    await Promise.allSettled([stopProxy(gateway), stopProxy(sidecar)]);
    await pilot?.stop().catch(() => {});
    relay?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    app = await httpBackend('web-v1', options.appHandler ?? defaultApp);
    const gatewayPort = await freePort();
    writeFileSync(join(dir, 'mesh.yaml'), meshYaml(gatewayPort, podIp, app.port));
    relay = await startCaptureRelay(podIp, app.port);
    pilot = await startPilot({
      configDir: dir,
      xdsPort: 0,
      monitoringPort: 0,
      debounceMs: 20,
      debounceMaxMs: 200,
    });
    const xdsAddress = `127.0.0.1:${pilot.xdsPort}`;
    const appPort = app.port;
    sidecar = await startProxy(
      xdsAddress,
      {
        role: 'sidecar',
        podName: 'web-v1',
        namespace: 'default',
        ips: [podIp],
        labels: { app: 'web', version: 'v1' },
        serviceAccount: 'web',
        workloadName: 'web-v1',
      },
      dir,
      {
        bindIp: podIp,
        // What SO_ORIGINAL_DST answers for a connection REDIRECTed to 15006: only the
        // relay connects there, always for the pod's app port.
        originalDestination: (socket) =>
          socket.localPort === INBOUND_CAPTURE_PORT ? { address: podIp, port: appPort } : undefined,
      },
      options.tracingEndpoint,
      'JSON',
    );
    gateway = await startProxy(
      xdsAddress,
      {
        role: 'router',
        podName: 'ingress-gw-1',
        namespace: 'default',
        ips: ['127.0.0.1'],
        labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
        serviceAccount: 'ingress-gw',
        workloadName: 'ingress-gw',
      },
      dir,
      {},
      options.tracingEndpoint,
      'TEXT',
    );
    return {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      gateway,
      sidecar,
      app,
      podIp,
      appPort,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (comments skipped, label escapes undone). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return parsePrometheus(await res.text());
}

/** One counter from a /metrics endpoint: the sample named `name` with every given label; 0 when absent. */
export async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const sample = (await scrape(url)).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value ?? 0;
}
