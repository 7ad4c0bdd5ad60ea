// Renewal: a workload that already holds a certificate from this CA proves its
// identity with it in the mTLS handshake; the SPIFFE URI in it is the caller.
import { X509Certificate } from 'node:crypto';
import { parseSpiffeUri, uriSans } from '../../api/istio/ca/spiffe.ts';
import type { MeshCa } from './mesh-ca.ts';
import type { AuthnResult, Authenticator, Credentials } from './types.ts';

export class ClientCertAuthenticator implements Authenticator {
  readonly name = 'client-cert';
  readonly #ca: MeshCa;

  constructor(ca: MeshCa) {
    this.#ca = ca;
  }

  async authenticate(credentials: Credentials): Promise<AuthnResult> {
    const raw = credentials.peerCertificate?.raw;
    if (!raw) return { kind: 'skip' };
    const cert = new X509Certificate(raw);
    // The TLS layer checked the chain to the root; require the CA's own signature
    // too, so a certificate from another CA under the same root is not taken as ours.
    if (!cert.verify(this.#ca.bundle.caCert.publicKey))
      return { kind: 'fail', reason: 'client certificate: not issued by this CA' };
    const now = Date.now();
    if (new Date(cert.validFrom).getTime() > now || new Date(cert.validTo).getTime() <= now) {
      return { kind: 'fail', reason: 'client certificate: outside its validity period' };
    }
    const uris = uriSans(cert);
    const ids = uris.map(parseSpiffeUri);
    if (ids.length !== 1 || !ids[0])
      return {
        kind: 'fail',
        reason: `client certificate: want one SPIFFE URI SAN, got ${uris.join(',') || 'none'}`,
      };
    if (ids[0].trustDomain !== this.#ca.trustDomain) {
      return {
        kind: 'fail',
        reason: `client certificate: trust domain ${ids[0].trustDomain} is not ${this.#ca.trustDomain}`,
      };
    }
    return {
      kind: 'ok',
      caller: {
        namespace: ids[0].namespace,
        serviceAccount: ids[0].serviceAccount,
        via: this.name,
      },
    };
  }
}
