// A mesh client without a proxy: a workload certificate from pilot's CA (bootstrap
// token, as a proxy gets one) and a raw TLS connection that offers what a sidecar
// offers for mesh mTLS, Istio's SNI `outbound_.PORT_.SUBSET_.HOST` and an Istio ALPN,
// with one HTTP/1.1 request inside. For tests of what sits between two sidecars
// (an AUTO_PASSTHROUGH gateway): the far sidecar must end this TLS itself.
import net from 'node:net';
import tls from 'node:tls';
import type { RunningPilot } from '../../../pilot/main.ts';
import type { IdentityMaterial } from '../../../sidecar/identity/secrets.ts';
import { WorkloadIdentity } from '../../../sidecar/identity/workload-identity.ts';

export interface MeshClientIdentity {
  material: IdentityMaterial;
  stop(): void;
}

/** A certificate for `serviceAccount` in `namespace`, issued by `pilot` (started with its CA). */
export async function meshClientIdentity(
  pilot: RunningPilot,
  opts: { namespace: string; serviceAccount: string; token: string },
): Promise<MeshClientIdentity> {
  const identity = await WorkloadIdentity.start({
    namespace: opts.namespace,
    serviceAccount: opts.serviceAccount,
    ca: { address: `127.0.0.1:${pilot.xdsTlsPort}`, rootCertPem: pilot.rootCertPem },
    token: opts.token,
    initialAttempts: 3,
  });
  return { material: identity.current(), stop: () => identity.stop() };
}

export interface MeshTlsRequest {
  host: string;
  port: number;
  /** The SNI: `outbound_.80_._.web.default.svc.cluster.local`. */
  serverName: string;
  alpn: string[];
  /** Host header of the request sent inside. */
  authority: string;
  path?: string;
  identity: IdentityMaterial;
}

export interface MeshTlsResponse {
  /** The whole HTTP/1.1 response as text (status line, headers, body). */
  text: string;
  status: number;
  /** SAN of the certificate the server presented (`URI:spiffe://…`). */
  peerSan: string;
}

const URI_SAN = /URI:([^,\s]+)/;

/**
 * Connects, checks the server's certificate against the mesh root (its SPIFFE ID
 * is returned, not checked: URI-only SANs fail node's hostname check), sends one
 * request with `connection: close` and reads the answer to the end. Rejects when
 * the connection fails or closes before the TLS handshake completes.
 */
export function meshTlsRequest(r: MeshTlsRequest): Promise<MeshTlsResponse> {
  return new Promise((resolve, reject) => {
    let peerSan = '';
    const socket = tls.connect({
      host: r.host,
      port: r.port,
      servername: r.serverName,
      ALPNProtocols: r.alpn,
      cert: r.identity.certChainPem,
      key: r.identity.keyPem,
      ca: r.identity.rootPem,
      checkServerIdentity: (_host, cert) =>
        URI_SAN.test(cert.subjectaltname ?? '')
          ? undefined
          : new Error(`server certificate has no SPIFFE ID: ${cert.subjectaltname}`),
    });
    const chunks: Buffer[] = [];
    socket.once('secureConnect', () => {
      peerSan = socket.getPeerX509Certificate()?.subjectAltName ?? '';
      socket.write(
        `GET ${r.path ?? '/'} HTTP/1.1\r\nhost: ${r.authority}\r\nconnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', reject);
    socket.once('close', () => {
      if (!peerSan) return reject(new Error('closed before the TLS handshake completed'));
      const text = Buffer.concat(chunks).toString();
      resolve({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), peerSan });
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
  });
}

/**
 * Whatever a connection to host:port that sends `data` gets back before the other
 * side closes it; rejects when it cannot connect, or is still open after 5 s.
 */
export function plainExchange(host: string, port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    socket.once('connect', () => socket.write(data));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? reject(err) : resolve(Buffer.concat(chunks).toString()),
    );
    socket.once('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.setTimeout(5000, () => {
      reject(new Error('still open after 5 s'));
      socket.destroy();
    });
  });
}
