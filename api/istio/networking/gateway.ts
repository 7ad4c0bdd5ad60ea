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

export const Server = z.strictObject({
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

export const GatewaySpec = z.strictObject({
  servers: z.array(Server).min(1, 'must have at least one server'),
  selector: labels().optional(),
});

export type GatewaySpec = z.infer<typeof GatewaySpec>;
export type Server = z.infer<typeof Server>;
