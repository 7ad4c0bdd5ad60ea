// The workload's certificate and the mesh root as Envoy SDS Secrets, under the
// names Istio's agent serves and pilot's generated clusters/listeners reference:
// `default` (tls_certificate) and `ROOTCA` (validation_context).
import { TypeUrl } from '../../api/envoy/registry.ts';
import type { EnvoyResource } from '../types.ts';

export const SECRET_TYPE_URL = TypeUrl.Secret;
export const WORKLOAD_SECRET = 'default';
export const ROOT_SECRET = 'ROOTCA';

export interface IdentityMaterial {
  spiffeId: string;
  /** Leaf then intermediates, PEM. */
  certChainPem: string;
  keyPem: string;
  /** The mesh root(s), PEM. */
  rootPem: string;
  notBefore: Date;
  notAfter: Date;
  /** Leaf serial number (hex), for logs. */
  serial: string;
}

// Bytes fields travel as base64 in Petrel's object form.
const bytes = (pem: string): { inline_bytes: string } => ({
  inline_bytes: Buffer.from(pem).toString('base64'),
});

export function identitySecrets(m: IdentityMaterial): Map<string, EnvoyResource> {
  return new Map<string, EnvoyResource>([
    [
      WORKLOAD_SECRET,
      {
        '@type': SECRET_TYPE_URL,
        name: WORKLOAD_SECRET,
        tls_certificate: { certificate_chain: bytes(m.certChainPem), private_key: bytes(m.keyPem) },
      },
    ],
    [
      ROOT_SECRET,
      {
        '@type': SECRET_TYPE_URL,
        name: ROOT_SECRET,
        validation_context: { trusted_ca: bytes(m.rootPem) },
      },
    ],
  ]);
}
