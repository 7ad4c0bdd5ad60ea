// Which Istio port protocols get HTTP routing. Ports of unknown protocol
// ('UNSPECIFIED') are treated as TCP: Petrel does not sniff protocols, so a port
// gets HTTP features only when it is named or declared as HTTP, HTTP2, gRPC.
import type { Protocol } from '../../model/types.ts';

const HTTP = new Set<string>(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

export function isHttpProtocol(protocol: Protocol | string): boolean {
  return HTTP.has(protocol.toUpperCase());
}

export function isTlsProtocol(protocol: Protocol | string): boolean {
  const p = protocol.toUpperCase();
  return p === 'TLS' || p === 'HTTPS';
}
