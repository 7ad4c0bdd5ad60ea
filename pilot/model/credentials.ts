// Gateway credentials (credentialName) from Kubernetes Secrets, read the way
// Istio's kube credential controller reads them: a TLS secret (tls.crt, tls.key,
// optional ca.crt and its CRL ca.crl) or a generic one (cert, key, cacert, crl); the
// CA for MUTUAL from a `<name>-cacert` secret (ca.crt or cacert) or else the secret's
// own ca.crt, with the CRL beside that CA. In file mode the same Secret objects come
// from YAML (data base64, or stringData).
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigSnapshot } from '../config/types.ts';

export interface Credential {
  /** PEM certificate chain and key; both absent for a CA-only secret. */
  cert: string | undefined;
  key: string | undefined;
  /** PEM CA bundle for checking client certificates (MUTUAL). */
  ca: string | undefined;
  /** PEM CRLs of that CA: `ca.crl` beside `ca.crt`, `crl` beside `cacert` (Istio's ExtractRoot). */
  crl: string | undefined;
}

type SecretObject = ConfigObject & {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

function value(s: SecretObject, key: string): string | undefined {
  const plain = s.stringData?.[key];
  if (typeof plain === 'string') return plain;
  const b64 = s.data?.[key];
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}

function credentialOf(s: SecretObject): Credential {
  const tlsCa = value(s, 'ca.crt');
  return {
    cert: value(s, 'tls.crt') ?? value(s, 'cert'),
    key: value(s, 'tls.key') ?? value(s, 'key'),
    ca: tlsCa ?? value(s, 'cacert'),
    crl: tlsCa !== undefined ? value(s, 'ca.crl') : value(s, 'crl'),
  };
}

/**
 * The Secret holding the CA for `name`: `<name>-cacert` when it has one, else `name`
 * itself (its CRL is read from the same Secret as its CA).
 */
export function caCredential(
  lookup: (name: string) => Credential | undefined,
  name: string,
): Credential | undefined {
  const own = lookup(`${name}-cacert`);
  if (own?.ca) return own;
  const main = lookup(name);
  return main?.ca ? main : undefined;
}

export class CredentialIndex {
  readonly #byKey = new Map<string, Credential>();

  constructor(snapshot: ConfigSnapshot) {
    for (const obj of snapshot.list('Secret')) {
      const key = `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
      this.#byKey.set(key, Object.freeze(credentialOf(obj as SecretObject)));
    }
  }

  /** The Secret `name` in `namespace` (a gateway reads only its own namespace's, as in Istio). */
  get(namespace: string, name: string): Credential | undefined {
    return this.#byKey.get(`${namespace}/${name}`);
  }
}
