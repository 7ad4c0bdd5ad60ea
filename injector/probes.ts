// App probes rewritten through the agent, as Istio does: with mTLS (and the
// capture rules) the kubelet cannot probe the app directly, so each HTTP, TCP
// or gRPC probe becomes an HTTP GET of `/app-health/<container>/<kind>` on the
// status port, and the agent performs the original probe from inside the pod,
// reading what to do from ISTIO_KUBE_APP_PROBERS (JSON: URL path → prober).
// Ports the capture rules leave alone are not rewritten: the kubelet reaches them.
import type { CaptureSettings } from './annotations.ts';
import { PORTS, PROXY_CONTAINER } from './names.ts';
import type { Container, Probe } from './pod-types.ts';

export type ProbeField = 'readinessProbe' | 'livenessProbe' | 'startupProbe';

/** What the agent runs for one rewritten probe (Istio's `Prober`). */
export interface Prober {
  httpGet?: {
    path?: string;
    port: number;
    scheme?: string;
    host?: string;
    httpHeaders?: Array<{ name: string; value: string }>;
  };
  tcpSocket?: { port: number; host?: string };
  grpc?: { port: number; service?: string };
  timeoutSeconds?: number;
}

export interface ProbeRewrite {
  list: 'containers' | 'initContainers';
  index: number;
  field: ProbeField;
  probe: Probe;
}

const SUFFIX: Record<ProbeField, string> = {
  readinessProbe: 'readyz',
  livenessProbe: 'livez',
  startupProbe: 'startupz',
};

export function appHealthPath(container: string, field: ProbeField): string {
  return `/app-health/${container}/${SUFFIX[field]}`;
}

/** A probe port (number, numeric string or a named container port) as a number; undefined if unknown. */
function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function captured(port: number, capture: CaptureSettings): boolean {
  const list = (s: string) => s.split(',').filter(Boolean).map(Number);
  if (capture.mode === 'NONE') return false;
  if (capture.includeInboundPorts !== '*' && !list(capture.includeInboundPorts).includes(port))
    return false;
  return !list(capture.excludeInboundPorts).includes(port);
}

function proberOf(probe: Probe, container: Container): Prober | undefined {
  const timeout =
    probe.timeoutSeconds !== undefined ? { timeoutSeconds: probe.timeoutSeconds } : {};
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, container);
    if (port === undefined) return undefined;
    const { path, scheme, host, httpHeaders } = probe.httpGet;
    return {
      httpGet: {
        ...(path !== undefined ? { path } : {}),
        port,
        ...(scheme ? { scheme } : {}),
        ...(host ? { host } : {}),
        ...(httpHeaders ? { httpHeaders } : {}),
      },
      ...timeout,
    };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, container);
    if (port === undefined) return undefined;
    return {
      tcpSocket: { port, ...(probe.tcpSocket.host ? { host: probe.tcpSocket.host } : {}) },
      ...timeout,
    };
  }
  if (probe.grpc && typeof probe.grpc.port === 'number') {
    return {
      grpc: {
        port: probe.grpc.port,
        ...(probe.grpc.service !== undefined ? { service: probe.grpc.service } : {}),
      },
      ...timeout,
    };
  }
  return undefined; // exec probes run inside the container and need nothing
}

function portOf(p: Prober): number {
  return (p.httpGet ?? p.tcpSocket ?? p.grpc)!.port;
}

/** The kubelet's side: same timings and thresholds, the action replaced by a GET on the agent. */
function agentProbe(original: Probe, path: string): Probe {
  const { httpGet, tcpSocket: _tcp, grpc: _grpc, ...rest } = original;
  return {
    ...rest,
    httpGet: {
      path,
      port: PORTS.status,
      // Kubelet → HTTP → agent → (HTTPS) → app: the agent keeps the original scheme.
      ...(httpGet?.scheme ? { scheme: 'HTTP' } : {}),
      ...(httpGet?.httpHeaders ? { httpHeaders: httpGet.httpHeaders } : {}),
    },
  };
}

/** The rewritten probes and the ISTIO_KUBE_APP_PROBERS map (keys sorted, as Go marshals maps). */
export function rewriteProbes(
  lists: { containers: readonly Container[]; initContainers: readonly Container[] },
  capture: CaptureSettings,
): { rewrites: ProbeRewrite[]; probers: Record<string, Prober> } {
  const rewrites: ProbeRewrite[] = [];
  const probers: Record<string, Prober> = {};
  for (const list of ['initContainers', 'containers'] as const) {
    lists[list].forEach((container, index) => {
      if (container.name === PROXY_CONTAINER) return;
      for (const field of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const probe = container[field];
        if (!probe) continue;
        const prober = proberOf(probe, container);
        if (!prober || !captured(portOf(prober), capture)) continue;
        const path = appHealthPath(container.name, field);
        probers[path] = prober;
        rewrites.push({ list, index, field, probe: agentProbe(probe, path) });
      }
    });
  }
  const sorted = Object.fromEntries(
    Object.entries(probers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { rewrites, probers: sorted };
}
