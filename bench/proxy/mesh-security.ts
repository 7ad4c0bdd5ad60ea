// Mesh security for the sidecar pairs: pilot's CA in file mode (a root kept in the
// work dir, one bootstrap token per service account, as `petrel local` does), the
// flags a sidecar needs to get its certificate, and the proof from outside that a
// hop really is (or really is not) mutual TLS: the server sidecar's own
// istio_requests_total / istio_tcp_connections_opened_total, reporter="destination",
// by connection_security_policy (mutual_tls or none), as Istio's telemetry reports it.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeBootstrapTokens } from '../../pilot/ca/bootstrap-token-file.ts';
import { BenchError } from './processes.ts';

export interface MeshCa {
  xdsTlsPort: number;
  caDir: string;
  tokensFile: string;
  /** `namespace/serviceAccount` → token. */
  tokens: Record<string, string>;
}

export function meshCaSetup(
  dir: string,
  xdsTlsPort: number,
  identities: readonly (readonly [string, string])[],
): MeshCa {
  const caDir = join(dir, 'ca');
  mkdirSync(caDir, { recursive: true });
  const tokensFile = join(dir, 'bootstrap-tokens');
  const tokens = writeBootstrapTokens(tokensFile, identities);
  return { xdsTlsPort, caDir, tokensFile, tokens };
}

/** pilot's flags for xDS and the CA over TLS. */
export function pilotCaFlags(ca: MeshCa): string[] {
  return [
    '--xds-tls-port',
    String(ca.xdsTlsPort),
    '--ca-state-dir',
    ca.caDir,
    '--bootstrap-tokens',
    ca.tokensFile,
  ];
}

export const rootCertFile = (ca: MeshCa): string => join(ca.caDir, 'root-cert.pem');
export const rootCertWritten = (ca: MeshCa): boolean => existsSync(rootCertFile(ca));

/** A proxy's flags to reach pilot over TLS and get a workload certificate for ns/sa. */
export function proxyCaFlags(ca: MeshCa, namespace: string, serviceAccount: string): string[] {
  const token = ca.tokens[`${namespace}/${serviceAccount}`];
  if (!token)
    throw new BenchError(
      'PETREL_BENCH_SETUP',
      `no bootstrap token for ${namespace}/${serviceAccount}`,
    );
  return [
    '--xds-address',
    `127.0.0.1:${ca.xdsTlsPort}`,
    '--xds-tls',
    '--root-cert',
    rootCertFile(ca),
    '--bootstrap-token',
    token,
  ];
}

/** Requests (HTTP) and connections (TCP) the server side counted, by connection_security_policy. */
export interface SecurityCounts {
  mutualTls: number;
  none: number;
}

const SERIES = /^(istio_requests_total|istio_tcp_connections_opened_total)\{([^}]*)\}\s+(\S+)/;

export function securityCounts(prometheusText: string): SecurityCounts {
  const out: SecurityCounts = { mutualTls: 0, none: 0 };
  for (const line of prometheusText.split('\n')) {
    const m = SERIES.exec(line);
    if (!m || !/\breporter="destination"/.test(m[2]!)) continue;
    const policy = /\bconnection_security_policy="([^"]*)"/.exec(m[2]!)?.[1];
    const n = Number(m[3]);
    if (policy === 'mutual_tls') out.mutualTls += n;
    else if (policy === 'none') out.none += n;
  }
  return out;
}

export async function serverSecurityCounts(statsPort: number): Promise<SecurityCounts> {
  const res = await fetch(`http://127.0.0.1:${statsPort}/stats/prometheus`);
  if (!res.ok)
    throw new BenchError(
      'PETREL_BENCH_SECURITY',
      `server sidecar stats on ${statsPort}: HTTP ${res.status}`,
    );
  return securityCounts(await res.text());
}

/**
 * Fails loudly unless every request the server counted arrived as `want`: an
 * "mTLS" row that quietly ran plaintext (or the reverse) would be a wrong figure.
 */
export function checkSecurity(label: string, want: 'mtls' | 'plain', c: SecurityCounts): string {
  const seen = `${c.mutualTls} mutual_tls, ${c.none} none`;
  const ok = want === 'mtls' ? c.mutualTls > 0 && c.none === 0 : c.none > 0 && c.mutualTls === 0;
  if (!ok)
    throw new BenchError(
      'PETREL_BENCH_SECURITY',
      `${label}: expected ${want === 'mtls' ? 'mutual TLS' : 'plaintext'} on the sidecar hop, the server sidecar counted ${seen}`,
    );
  return seen;
}
