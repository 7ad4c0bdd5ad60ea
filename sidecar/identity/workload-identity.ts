// The proxy's workload identity: get a certificate for spiffe://<td>/ns/<ns>/sa/<sa>
// from the mesh CA, serve it as SDS Secrets to the data path, and rotate it at
// (about) half its lifetime. A failed rotation is retried with backoff while the
// current certificate keeps serving; the data path swaps TLS contexts for new
// handshakes only, so open connections are never dropped.
import { readFileSync } from 'node:fs';
import { spiffeUri, DEFAULT_TRUST_DOMAIN } from '../../api/istio/ca/spiffe.ts';
import { Backoff } from '../agent/backoff.ts';
import type { ApplyResult, DataPlane, EnvoyResource } from '../types.ts';
import { createCertificate } from './ca-client.ts';
import { materialFromChain } from './ca-response.ts';
import { IdentityError, errorLine } from './errors.ts';
import { createKeyAndCsr } from './key-csr.ts';
import { SECRET_TYPE_URL, identitySecrets } from './secrets.ts';
import type { IdentityMaterial } from './secrets.ts';
import type { IdentityLogger, WorkloadIdentityOptions } from './options.ts';

export { ISTIO_TOKEN_PATH } from './options.ts';
export type { IdentityLogger, WorkloadIdentityOptions } from './options.ts';

const quiet: IdentityLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class WorkloadIdentity {
  readonly spiffeId: string;
  readonly #o: WorkloadIdentityOptions;
  readonly #log: IdentityLogger;
  readonly #backoff: Backoff;
  readonly #dataPlanes: DataPlane[];
  readonly #listeners = new Set<(m: IdentityMaterial) => void>();
  #material: IdentityMaterial | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Resolvers of start()'s backoff waits, so stop() ends them at once. */
  readonly #sleepers = new Set<() => void>();
  #nextRotation: Date | undefined;
  #inflight: Promise<IdentityMaterial> | undefined;
  #stopped = false;

  /** Call start() next (or use WorkloadIdentity.start). */
  constructor(options: WorkloadIdentityOptions) {
    if (!options.ca.rootCertPem && !options.ca.rootCertFile) {
      throw new IdentityError(
        'PETREL_IDENTITY_CONFIG',
        'the CA root certificate is needed (rootCertPem or rootCertFile)',
      );
    }
    this.#o = options;
    this.#log = options.log ?? quiet;
    this.#backoff = new Backoff({ initialMs: 1000, maxMs: 30_000, ...options.retry });
    this.#dataPlanes = [...(options.dataPlanes ?? [])];
    this.spiffeId = spiffeUri({
      trustDomain: options.trustDomain ?? DEFAULT_TRUST_DOMAIN,
      namespace: options.namespace,
      serviceAccount: options.serviceAccount,
    });
  }

  /** Resolves once the first certificate is installed (retrying with backoff until then). */
  static async start(options: WorkloadIdentityOptions): Promise<WorkloadIdentity> {
    const w = new WorkloadIdentity(options);
    await w.start();
    return w;
  }

  /** Gets the first certificate, retrying with backoff; rejects after initialAttempts failures or on stop(). */
  start(): Promise<void> {
    return this.#first();
  }

  current(): IdentityMaterial {
    return this.#material!;
  }

  secrets(): Map<string, EnvoyResource> {
    return identitySecrets(this.#material!);
  }

  nextRotation(): Date | undefined {
    return this.#nextRotation;
  }

  /** Called after every new certificate; returns the unsubscribe function. */
  onChange(listener: (m: IdentityMaterial) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds a data path and gives it the current Secrets at once. */
  addDataPlane(dp: DataPlane): ApplyResult {
    this.#dataPlanes.push(dp);
    return this.#push(dp);
  }

  /** Rotates now; on failure the retry schedule takes over and the error is thrown. */
  rotateNow(): Promise<IdentityMaterial> {
    this.#cancelTimer();
    return this.#rotate();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    for (const wake of this.#sleepers) wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      t.unref();
      this.#sleepers.add(done);
    });
  }

  #stoppedError(): IdentityError {
    return new IdentityError(
      'PETREL_IDENTITY_STOPPED',
      `stopped before a certificate for ${this.spiffeId} arrived`,
    );
  }

  async #first(): Promise<void> {
    const max = this.#o.initialAttempts ?? Infinity;
    for (let attempt = 1; ; attempt++) {
      let material: IdentityMaterial;
      try {
        material = await this.#fetch();
      } catch (err) {
        if (this.#stopped) throw this.#stoppedError();
        if (attempt >= max) throw err;
        const delay = this.#backoff.nextDelayMs();
        this.#log.warn(
          `identity: first certificate for ${this.spiffeId} failed (attempt ${attempt}): ${errorLine(err)}; retrying in ${delay}ms`,
        );
        await this.#sleep(delay);
        if (this.#stopped) throw this.#stoppedError();
        continue;
      }
      if (this.#stopped) throw this.#stoppedError();
      this.#install(material);
      return;
    }
  }

  #readFile(file: string, what: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new IdentityError('PETREL_IDENTITY_CREDENTIAL', `${what} ${file}: ${errorLine(err)}`);
    }
  }

  async #fetch(): Promise<IdentityMaterial> {
    const { ca } = this.#o;
    const rootCertPem = ca.rootCertPem ?? this.#readFile(ca.rootCertFile!, 'CA root certificate');
    const now = Date.now();
    const renewal =
      this.#material && this.#material.notAfter.getTime() > now ? this.#material : undefined;
    let token = this.#o.token;
    if (!token && this.#o.tokenFile) {
      try {
        token = this.#readFile(this.#o.tokenFile, 'token').trim();
      } catch (err) {
        if (!renewal) throw err; // a renewal can still authenticate with the current certificate
        this.#log.debug(`identity: ${errorLine(err)}; renewing with the current certificate alone`);
      }
    }
    if (!token && !renewal)
      throw new IdentityError(
        'PETREL_IDENTITY_CREDENTIAL',
        'no token (token or tokenFile) and no certificate to renew with',
      );
    const key = await createKeyAndCsr({
      trustDomain: this.#o.trustDomain ?? DEFAULT_TRUST_DOMAIN,
      namespace: this.#o.namespace,
      serviceAccount: this.#o.serviceAccount,
    });
    const chain = await createCertificate(
      { address: ca.address, rootCertPem, serverName: ca.serverName, timeoutMs: ca.timeoutMs },
      {
        csrPem: key.csrPem,
        validitySeconds: this.#o.validitySeconds,
        token,
        clientCert: renewal
          ? { certChainPem: renewal.certChainPem, keyPem: renewal.keyPem }
          : undefined,
        metadata: this.#o.metadata,
      },
    );
    return materialFromChain(chain, key, this.spiffeId, rootCertPem);
  }

  #push(dp: DataPlane): ApplyResult {
    const result = dp.applyConfig(SECRET_TYPE_URL, identitySecrets(this.#material!));
    if (result.errors.length > 0)
      this.#log.error(`identity: the data path refused the Secrets: ${result.errors.join('; ')}`);
    return result;
  }

  #install(m: IdentityMaterial): void {
    this.#material = m;
    this.#backoff.reset();
    for (const dp of this.#dataPlanes) this.#push(dp);
    for (const l of this.#listeners) l(m);
    this.#scheduleRotation();
    this.#log.info(
      `identity: certificate for ${m.spiffeId} (serial ${m.serial}) valid until ${m.notAfter.toISOString()}, rotating at ${this.#nextRotation?.toISOString()}`,
    );
  }

  #scheduleRotation(): void {
    const m = this.#material!;
    const lifetime = m.notAfter.getTime() - m.notBefore.getTime();
    const ratio = this.#o.rotationRatio ?? 0.5;
    const jitter = this.#o.rotationJitter ?? 0.1;
    const at =
      m.notBefore.getTime() + lifetime * ratio * (1 - jitter * (this.#o.random ?? Math.random)());
    const delay = Math.max(0, at - Date.now());
    this.#nextRotation = new Date(Date.now() + delay);
    this.#setTimer(delay, () => void this.#rotate().catch(() => {}));
  }

  #rotate(): Promise<IdentityMaterial> {
    if (this.#stopped)
      return Promise.reject(new IdentityError('PETREL_IDENTITY_STOPPED', 'stopped'));
    this.#inflight ??= this.#fetch()
      .then((m) => {
        if (!this.#stopped) this.#install(m);
        return m;
      })
      .catch((err: unknown) => {
        if (!this.#stopped) {
          const delay = this.#backoff.nextDelayMs();
          const cur = this.#material!;
          const expired = cur.notAfter.getTime() <= Date.now();
          const state = expired
            ? `the current certificate EXPIRED at ${cur.notAfter.toISOString()}`
            : `the current certificate stays in use until ${cur.notAfter.toISOString()}`;
          this.#log[expired ? 'error' : 'warn'](
            `identity: rotating ${this.spiffeId} failed: ${errorLine(err)}; ${state}; retrying in ${delay}ms`,
          );
          this.#nextRotation = new Date(Date.now() + delay);
          this.#setTimer(delay, () => void this.#rotate().catch(() => {}));
        }
        throw err;
      })
      .finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  #setTimer(delay: number, fn: () => void): void {
    this.#cancelTimer();
    if (this.#stopped) return;
    // Unref'd: the proxy's sockets keep the process alive, a pending rotation should not.
    this.#timer = setTimeout(fn, delay);
    this.#timer.unref();
  }

  #cancelTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
