// networking.istio.io Gateway.
import { z } from 'zod';
import { enumOf, int, labels, port } from '../schema-kit.ts';

export const PROTOCOLS = [
  'HTTP',
  'HTTPS',
  'GRPC',
  'GRPC-WEB',
  'HTTP2',
  'MONGO',
  'TCP',
  'TLS',
  'UDP',
  'REDIS',
  'MYSQL',
] as const;

export const ServerTLSSettings = z.strictObject({
  httpsRedirect: z.boolean().optional(),
  mode: enumOf([
    'PASSTHROUGH',
    'SIMPLE',
    'MUTUAL',
    'AUTO_PASSTHROUGH',
    'ISTIO_MUTUAL',
    'OPTIONAL_MUTUAL',
  ]).optional(),
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  caCrl: z.string().optional(),
  credentialName: z.string().optional(),
  credentialNames: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: enumOf(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']).optional(),
  maxProtocolVersion: enumOf(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']).optional(),
  cipherSuites: z.array(z.string()).optional(),
});

const TLS_PROTOCOLS = new Set(['HTTPS', 'TLS']);
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
/** Modes that pass TLS through untouched: a plain HTTP server may name them, as in Istio. */
const PASSTHROUGH_MODES = new Set(['PASSTHROUGH', 'AUTO_PASSTHROUGH']);

/**
 * Cross-field rules of a Gateway server's TLS, as Istio's validation states them:
 * a terminating mode needs its certificate (a credentialName, or the file pair),
 * MUTUAL also the client CA; ISTIO_MUTUAL takes the workload certificate and no
 * files; HTTPS/TLS servers need TLS settings; a plain HTTP server may only redirect.
 * Rejecting these at admission beats a server that silently never listens.
 */
function checkServerTls(server: ServerShape, ctx: z.RefinementCtx): void {
  const tls = server.tls;
  const protocol = server.port.protocol.toUpperCase();
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  if (!tls) {
    if (TLS_PROTOCOLS.has(protocol))
      issue(['tls'], `server must have TLS settings for the ${protocol} protocol`);
    return;
  }
  if (!TLS_PROTOCOLS.has(protocol)) {
    // Istio accepts AUTO_PASSTHROUGH on an HTTP port (the server stays plain HTTP,
    // the gateway gets the SNI-DNAT clusters); on TCP-like ports it rejects any TLS.
    const passthrough =
      tls.mode === 'PASSTHROUGH' ||
      (tls.mode === 'AUTO_PASSTHROUGH' && HTTP_PROTOCOLS.has(protocol));
    if (tls.mode && !passthrough && !tls.httpsRedirect)
      issue(['tls', 'mode'], `only httpsRedirect is allowed on a ${protocol} server`);
    return;
  }
  if (tls.credentialName && tls.credentialNames?.length)
    issue(['tls', 'credentialNames'], 'cannot be set together with credentialName');
  const mode = tls.mode ?? 'PASSTHROUGH';
  const files = tls.serverCertificate || tls.privateKey || tls.caCertificates;
  if (mode === 'ISTIO_MUTUAL') {
    if (files || tls.credentialName || tls.credentialNames?.length)
      issue(
        ['tls', 'mode'],
        'ISTIO_MUTUAL uses the workload certificate: set no serverCertificate, privateKey, caCertificates or credentialName',
      );
    return;
  }
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL' && mode !== 'OPTIONAL_MUTUAL') return;
  if (tls.credentialName || tls.credentialNames?.length) {
    // Istio reads a credential's CRL from its Secret (ca.crl) and accepts, but
    // ignores, caCrl beside it: gatewaySpecWarnings reports it.
    return;
  }
  if (mode === 'SIMPLE' && tls.caCrl)
    issue(
      ['tls', 'caCrl'],
      'SIMPLE mode checks no client certificates: a CRL needs MUTUAL or OPTIONAL_MUTUAL',
    );
  if (!tls.serverCertificate)
    issue(
      ['tls', 'serverCertificate'],
      `${mode} mode requires a server certificate (or a credentialName)`,
    );
  if (!tls.privateKey)
    issue(['tls', 'privateKey'], `${mode} mode requires a private key (or a credentialName)`);
  if (mode !== 'SIMPLE' && !tls.caCertificates)
    issue(
      ['tls', 'caCertificates'],
      `${mode} mode requires a client CA bundle (or a credentialName)`,
    );
}

const ServerShape = z.strictObject({
  port: z.strictObject({
    number: port(),
    protocol: z
      .string()
      .refine(
        (p) => (PROTOCOLS as readonly string[]).includes(p.toUpperCase()),
        `must be one of ${PROTOCOLS.join(', ')}`,
      ),
    name: z.string().optional(),
    targetPort: int(1, 65535).optional(),
  }),
  bind: z.string().optional(),
  hosts: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one host'),
  tls: ServerTLSSettings.optional(),
  defaultEndpoint: z.string().optional(),
  name: z.string().optional(),
});
type ServerShape = z.infer<typeof ServerShape>;

export const Server = ServerShape.superRefine(checkServerTls);

/** The certificate fields of a server's TLS settings. */
const CERTIFICATE_FIELDS = [
  'serverCertificate',
  'privateKey',
  'caCertificates',
  'caCrl',
  'credentialName',
  'credentialNames',
] as const;

/**
 * What Istio's validation warns about in a valid Gateway spec, one line per field
 * (`spec.servers[0].tls.credentialName: …`): certificates on a PASSTHROUGH or
 * AUTO_PASSTHROUGH server, which terminates no TLS and so never uses them, and a
 * caCrl beside a credentialName, whose Secret's ca.crl is used instead. Istio
 * accepts both; they are reported, not rejected.
 */
export function gatewaySpecWarnings(spec: GatewaySpec): string[] {
  const out: string[] = [];
  spec.servers.forEach((server, i) => {
    const tls = server.tls;
    if (!tls) return;
    const mode = tls.mode ?? 'PASSTHROUGH'; // Istio's enum zero value
    if (!PASSTHROUGH_MODES.has(mode)) {
      if (tls.caCrl && (tls.credentialName || tls.credentialNames?.length))
        out.push(
          `spec.servers[${i}].tls.caCrl: ignored beside a credential, whose CRL comes from its Secret (ca.crl)`,
        );
      return;
    }
    for (const field of CERTIFICATE_FIELDS) {
      const value = tls[field];
      if (!value || (Array.isArray(value) && value.length === 0)) continue;
      out.push(`spec.servers[${i}].tls.${field}: ${mode} mode does not use certificates; ignored`);
    }
  });
  return out;
}

export const GatewaySpec = z.strictObject({
  servers: z.array(Server).min(1, 'must have at least one server'),
  selector: labels().optional(),
});

export type GatewaySpec = z.infer<typeof GatewaySpec>;
export type Server = z.infer<typeof Server>;
