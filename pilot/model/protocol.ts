// Protocol selection as Istio does it (pkg/config/protocol and the kube
// conversion): explicit appProtocol, else the port name's prefix, else
// UNSPECIFIED (sniffed at runtime), except well-known server-first ports.
import type { Protocol } from './types.ts';

const BY_NAME: ReadonlyMap<string, Protocol> = new Map([
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['grpc', 'GRPC'],
  ['grpc-web', 'GRPC-WEB'],
  ['http', 'HTTP'],
  ['http2', 'HTTP2'],
  ['https', 'HTTPS'],
  ['tls', 'TLS'],
  ['mongo', 'MONGO'],
  ['redis', 'REDIS'],
  ['mysql', 'MYSQL'],
]);

/**
 * Server-first protocols break under sniffing (the client waits for the server),
 * so Istio treats these ports as TCP when nothing else says otherwise:
 * SMTP, DNS, MySQL, MongoDB.
 */
const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/** A protocol name as written in Istio config (`HTTP`, `grpc-web`, …); unknown → UNSPECIFIED. */
export function parseProtocol(name: string | undefined): Protocol {
  if (!name) return 'UNSPECIFIED';
  return BY_NAME.get(name.toLowerCase()) ?? 'UNSPECIFIED';
}

/** A Kubernetes Service port's protocol (Istio's kube.ConvertProtocol). */
export function kubePortProtocol(
  port: number,
  name: string | undefined,
  l4: string | undefined,
  appProtocol: string | undefined,
): Protocol {
  if (l4 === 'UDP') return 'UDP';
  let text = name ?? '';
  if (appProtocol) {
    // Kubernetes' standard appProtocol values (KEP-3726), only meaningful in appProtocol.
    if (appProtocol === 'kubernetes.io/h2c') return 'HTTP2';
    if (appProtocol === 'kubernetes.io/ws' || appProtocol === 'kubernetes.io/wss') return 'HTTP';
    text = appProtocol;
  }
  // grpc-web contains the separator itself, so test it before cutting at '-'.
  if (text.toLowerCase().startsWith('grpc-web')) return 'GRPC-WEB';
  const dash = text.indexOf('-');
  const protocol = parseProtocol(dash < 0 ? text : text.slice(0, dash));
  if (protocol === 'UNSPECIFIED' && WELL_KNOWN_TCP_PORTS.has(port)) return 'TCP';
  return protocol;
}

export function isHttpProtocol(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}
