// Pilot's own certificate for port 15012 (xDS + CA over TLS), issued by the mesh
// CA with istiod's DNS names and loopback IPs, renewed at half its lifetime. It
// feeds grpc-js as a CertificateProvider, so renewal swaps the TLS context for
// new handshakes and open streams keep theirs.
import * as grpc from '@grpc/grpc-js';
import type { experimental } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { generateP256KeyPair, privateKeyPem } from '../../api/istio/ca/x509.ts';
import { joinPem } from '../../api/istio/ca/pem.ts';
import { errorMessage } from './errors.ts';
import type { MeshCa } from './mesh-ca.ts';
import { silentLogger } from './types.ts';
import type { CaLogger } from './types.ts';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** The names istiod's certificate carries, plus loopback for local meshes and tests. */
export const DEFAULT_SERVING_DNS = [
  'istiod.istio-system.svc',
  'istiod.istio-system.svc.cluster.local',
  'istiod.istio-system',
  'istiod',
  'localhost',
];
export const DEFAULT_SERVING_IPS = ['127.0.0.1', '::1'];

export interface ServingCertOptions {
  dnsNames?: string[];
  ips?: string[];
  ttlSeconds?: number;
  /** Renew when this fraction of the lifetime has passed. */
  renewAt?: number;
  log?: CaLogger;
}

export interface ServingMaterial {
  /** Leaf then intermediates (the root is not sent: peers already have it). */
  certChainPem: string;
  keyPem: string;
  rootPem: string;
  notAfter: Date;
}

export class ServingCertProvider implements CertificateProvider {
  readonly #ca: MeshCa;
  readonly #options: Required<Omit<ServingCertOptions, 'log'>>;
  readonly #log: CaLogger;
  readonly #caListeners = new Set<CaListener>();
  readonly #idListeners = new Set<IdentityListener>();
  #material: ServingMaterial;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(
    ca: MeshCa,
    material: ServingMaterial,
    options: Required<Omit<ServingCertOptions, 'log'>>,
    log: CaLogger,
  ) {
    this.#ca = ca;
    this.#material = material;
    this.#options = options;
    this.#log = log;
  }

  static async create(ca: MeshCa, options: ServingCertOptions = {}): Promise<ServingCertProvider> {
    const full = {
      dnsNames: options.dnsNames ?? DEFAULT_SERVING_DNS,
      ips: options.ips ?? DEFAULT_SERVING_IPS,
      ttlSeconds: options.ttlSeconds ?? ca.defaultTtlSeconds,
      renewAt: options.renewAt ?? 0.5,
    };
    const p = new ServingCertProvider(
      ca,
      await issueServingMaterial(ca, full),
      full,
      options.log ?? silentLogger,
    );
    p.#schedule();
    return p;
  }

  current(): ServingMaterial {
    return this.#material;
  }

  #schedule(delayMs?: number): void {
    if (this.#stopped) return;
    const lifetime = this.#options.ttlSeconds * 1000;
    const due =
      delayMs ??
      Math.max(
        1000,
        this.#material.notAfter.getTime() - Date.now() - lifetime * (1 - this.#options.renewAt),
      );
    this.#timer = setTimeout(() => void this.#renew(), due);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    try {
      this.#material = await issueServingMaterial(this.#ca, this.#options);
      this.#log.info(
        `ca: renewed pilot's serving certificate, valid until ${this.#material.notAfter.toISOString()}`,
      );
      this.#emit();
      this.#schedule();
    } catch (err) {
      this.#log.error(
        `ca: renewing pilot's serving certificate failed: ${errorMessage(err)} (retrying in 10s)`,
      );
      this.#schedule(10_000);
    }
  }

  #emit(): void {
    for (const l of this.#caListeners) l({ caCertificate: Buffer.from(this.#material.rootPem) });
    for (const l of this.#idListeners)
      l({
        certificate: Buffer.from(this.#material.certChainPem),
        privateKey: Buffer.from(this.#material.keyPem),
      });
  }

  // The first update is delivered on a later tick: grpc-js registers its server's
  // watcher only after adding these listeners, and would miss a synchronous one
  // (its server then drops every connection as "credentials not loaded").
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => {
      if (this.#caListeners.has(listener))
        listener({ caCertificate: Buffer.from(this.#material.rootPem) });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#idListeners.add(listener);
    queueMicrotask(() => {
      if (this.#idListeners.has(listener))
        listener({
          certificate: Buffer.from(this.#material.certChainPem),
          privateKey: Buffer.from(this.#material.keyPem),
        });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#idListeners.delete(listener);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

async function issueServingMaterial(
  ca: MeshCa,
  o: { dnsNames: string[]; ips: string[]; ttlSeconds: number },
): Promise<ServingMaterial> {
  const keys = await generateP256KeyPair();
  const chain = await ca.issueServing(
    keys.publicKey,
    { dns: o.dnsNames, ips: o.ips },
    o.ttlSeconds,
  );
  return {
    certChainPem: joinPem(chain.slice(0, -1)),
    keyPem: await privateKeyPem(keys.privateKey),
    rootPem: ca.rootCertPem(),
    notAfter: new Date(new X509Certificate(chain[0]!).validTo),
  };
}

/**
 * TLS server credentials for port 15012: pilot's serving certificate; client
 * certificates requested and checked against the mesh root but not required,
 * since bootstrap calls authenticate with a token and have no certificate yet.
 */
export function caServerCredentials(provider: ServingCertProvider): grpc.ServerCredentials {
  // grpc-js names the parameters the other way round; the same provider serves both.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}
