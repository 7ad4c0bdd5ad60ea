// The mesh CA: picks its signing material (plugged-in cacerts, or a self-signed
// root that is created once and reused on every restart) and signs workload
// certificates for identities an authenticator has already proved.
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_TRUST_DOMAIN, spiffeUri } from '../../api/istio/ca/spiffe.ts';
import type { x509 } from '../../api/istio/ca/x509.ts';
import { CaError } from './errors.ts';
import { checkCsrIdentity, parseCsr } from './csr.ts';
import { issueLeaf } from './leaf.ts';
import type { LeafSpec } from './leaf.ts';
import { FileRootStore, SecretRootStore } from './root-store.ts';
import type { RootStore } from './root-store.ts';
import { generateSelfSignedRoot } from './self-signed-root.ts';
import { loadCacerts, selfSignedBundle } from './signing-bundle.ts';
import type { SigningBundle } from './signing-bundle.ts';
import { silentLogger } from './types.ts';
import type { CaLogger, Caller } from './types.ts';

export interface MeshCaOptions {
  /** The SPIFFE trust domain; Istio's default is cluster.local. */
  trustDomain?: string;
  /** Leaf lifetime when the request asks for none (Istio: 24 h). */
  defaultTtlSeconds?: number;
  /** Longest lifetime a request may ask for (Istio's MAX_WORKLOAD_CERT_TTL: 90 days). */
  maxTtlSeconds?: number;
  /** A plugged-in CA: ca-cert.pem, ca-key.pem, root-cert.pem and optionally cert-chain.pem. */
  cacertsDir?: string;
  /** File mode: the self-signed root is kept in <stateDir>/ca-cert.pem and ca-key.pem. */
  stateDir?: string;
  /** Kubernetes mode: the self-signed root is kept in the Secret istio-ca-secret. */
  kube?: KubeConfig;
  /** Namespace of that Secret (istio-system). */
  caNamespace?: string;
  rootValidityYears?: number;
  log?: CaLogger;
}

export const DEFAULT_LEAF_TTL_SECONDS = 24 * 3600;
export const DEFAULT_MAX_TTL_SECONDS = 90 * 24 * 3600;

async function selfSignedFrom(
  store: RootStore,
  trustDomain: string,
  years: number,
  log: CaLogger,
): Promise<SigningBundle> {
  const existing = await store.load();
  if (existing) {
    log.info(`ca: using the self-signed root from ${store.where}`);
    return selfSignedBundle(existing.certPem, existing.keyPem, store.where);
  }
  const stored = await store.create(await generateSelfSignedRoot(trustDomain, years));
  log.info(`ca: generated a self-signed root for ${trustDomain}, stored in ${store.where}`);
  return selfSignedBundle(stored.certPem, stored.keyPem, store.where);
}

export class MeshCa {
  readonly trustDomain: string;
  readonly bundle: SigningBundle;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;

  private constructor(bundle: SigningBundle, options: MeshCaOptions) {
    this.bundle = bundle;
    this.trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? DEFAULT_LEAF_TTL_SECONDS;
    this.maxTtlSeconds = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  }

  static async create(options: MeshCaOptions): Promise<MeshCa> {
    const log = options.log ?? silentLogger;
    const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    let bundle: SigningBundle;
    if (options.cacertsDir) {
      bundle = await loadCacerts(options.cacertsDir);
      log.info(
        `ca: using the plugged-in CA from ${options.cacertsDir} (${bundle.intermediates.length} certificate(s) to the root)`,
      );
    } else {
      const store = options.kube
        ? new SecretRootStore(options.kube, { namespace: options.caNamespace })
        : options.stateDir
          ? new FileRootStore(options.stateDir)
          : undefined;
      if (!store)
        throw new CaError(
          'PETREL_CA_CONFIG',
          'the CA needs a cacerts dir, a state dir (file mode) or Kubernetes to keep its root',
        );
      bundle = await selfSignedFrom(store, trustDomain, options.rootValidityYears ?? 10, log);
    }
    return new MeshCa(bundle, options);
  }

  /** The root certificate(s) workloads trust, PEM (Istio's root-cert.pem). */
  rootCertPem(): string {
    return this.bundle.rootPem;
  }

  spiffeUriOf(caller: Pick<Caller, 'namespace' | 'serviceAccount'>): string {
    return spiffeUri({
      trustDomain: this.trustDomain,
      namespace: caller.namespace,
      serviceAccount: caller.serviceAccount,
    });
  }

  /**
   * Signs a CSR for the authenticated caller; returns the chain leaf first, root last.
   * `requestedTtlSeconds` 0 means the default; longer than the maximum is refused, as Istio does.
   */
  async signCsr(
    csrPem: string,
    caller: Pick<Caller, 'namespace' | 'serviceAccount'>,
    requestedTtlSeconds = 0,
  ): Promise<string[]> {
    if (requestedTtlSeconds < 0 || requestedTtlSeconds > this.maxTtlSeconds) {
      throw new CaError(
        'PETREL_CA_BAD_TTL',
        `validity_duration ${requestedTtlSeconds}s is outside 0..${this.maxTtlSeconds}s`,
      );
    }
    const csr = await parseCsr(csrPem);
    const uri = this.spiffeUriOf(caller);
    checkCsrIdentity(csr, uri);
    return this.#chain(
      csr.publicKey,
      [{ type: 'url', value: uri }],
      requestedTtlSeconds || this.defaultTtlSeconds,
    );
  }

  /** A server certificate with DNS/IP SANs (pilot's own, for port 15012). */
  issueServing(
    publicKey: LeafSpec['publicKey'],
    names: { dns: string[]; ips: string[] },
    ttlSeconds: number,
  ): Promise<string[]> {
    const sans: x509.JsonGeneralName[] = [
      ...names.dns.map((value) => ({ type: 'dns' as const, value })),
      ...names.ips.map((value) => ({ type: 'ip' as const, value })),
    ];
    return this.#chain(publicKey, sans, ttlSeconds);
  }

  async #chain(
    publicKey: LeafSpec['publicKey'],
    sans: x509.JsonGeneralName[],
    ttlSeconds: number,
  ): Promise<string[]> {
    // X.509 times have whole seconds; start at the current second so the cert is valid at once.
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const caNotAfter = new Date(this.bundle.caCert.validTo);
    const wanted = new Date(notBefore.getTime() + ttlSeconds * 1000);
    // A leaf may not outlive the certificate that signed it.
    const notAfter = wanted < caNotAfter ? wanted : caNotAfter;
    const leaf = await issueLeaf(this.bundle, { publicKey, sans, notBefore, notAfter });
    // Istio's layout: leaf, intermediates, then the root bundle as the last entry.
    return [leaf, ...this.bundle.intermediates, this.bundle.rootPem];
  }
}
