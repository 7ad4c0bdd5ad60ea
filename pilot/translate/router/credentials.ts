// SDS over ADS for credentials (Istio's SecretGen): a proxy asks for
// `kubernetes://NAME` (certificate and key) and `kubernetes://NAME-cacert` (the CA
// of MUTUAL servers and clients, with the Secret's CRL when it has one, as Istio's
// toEnvoyCaSecret sends it) by name, and gets them from the Kubernetes Secrets
// of its own namespace (a gateway may read only those, as in Istio). SDS is never a
// wildcard subscription: nothing is sent unasked. A name whose Secret is missing or
// lacks the part asked for is left out, so the proxy keeps waiting for it (Envoy
// keeps such a listener warming) instead of getting an empty certificate.
import { TypeUrl } from '../../../api/envoy/registry.ts';
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext } from '../../model/types.ts';
import type { EnvoyResource, GeneratedResource, Generator } from '../types.ts';
import { parseCredentialSecret } from '../cluster/sds.ts';
import { caCredential } from '../../model/credentials.ts';

const bytes = (pem: string): { inline_bytes: string } => ({
  inline_bytes: Buffer.from(pem).toString('base64'),
});

export function credentialSecret(
  push: PushContext,
  proxy: Proxy,
  name: string,
): EnvoyResource | undefined {
  const ref = parseCredentialSecret(name);
  if (!ref) return undefined;
  if (ref.ca) {
    const held = caCredential((n) => push.credential?.(proxy.namespace, n), ref.credential);
    if (!held?.ca) return undefined;
    const validation: Record<string, unknown> = { trusted_ca: bytes(held.ca) };
    if (held.crl) validation.crl = bytes(held.crl);
    return { '@type': TypeUrl.Secret, name, validation_context: validation };
  }
  const c = push.credential?.(proxy.namespace, ref.credential);
  if (!c?.cert || !c.key) return undefined;
  return {
    '@type': TypeUrl.Secret,
    name,
    tls_certificate: { certificate_chain: bytes(c.cert), private_key: bytes(c.key) },
  };
}

export const credentialSecretGenerator: Generator<PushContext> = {
  typeUrl: TypeUrl.Secret,
  generate(push, proxy, names): GeneratedResource[] {
    const out: GeneratedResource[] = [];
    for (const name of names) {
      const resource = credentialSecret(push, proxy, name);
      if (resource) out.push({ name, resource });
    }
    return out;
  },
};
