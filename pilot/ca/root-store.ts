// Where the self-signed root lives between restarts, so every restart keeps the
// mesh's trust anchor: files in pilot's state dir (file mode) or the Secret
// istio-system/istio-ca-secret (Kubernetes mode), with Istio's data keys.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { kubeMessage } from '../config/kube-client.ts';
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { CaError, errorMessage } from './errors.ts';
import type { RootPair } from './self-signed-root.ts';

export interface RootStore {
  /** Names the place, for logs and errors. */
  readonly where: string;
  load(): Promise<RootPair | undefined>;
  /** Stores a new root; if another pilot stored one first, returns that one instead. */
  create(pair: RootPair): Promise<RootPair>;
}

export const CA_CERT_KEY = 'ca-cert.pem';
export const CA_KEY_KEY = 'ca-key.pem';
export const CA_SECRET_NAME = 'istio-ca-secret';
export const CA_SECRET_TYPE = 'istio.io/ca-root';
export const DEFAULT_CA_NAMESPACE = 'istio-system';

function storeError(where: string, err: unknown): CaError {
  return err instanceof CaError
    ? err
    : new CaError('PETREL_CA_ROOT_STORE', `${where}: ${errorMessage(err)}`);
}

export class FileRootStore implements RootStore {
  readonly where: string;
  readonly #cert: string;
  readonly #key: string;

  constructor(stateDir: string) {
    this.where = stateDir;
    this.#cert = path.join(stateDir, CA_CERT_KEY);
    this.#key = path.join(stateDir, CA_KEY_KEY);
  }

  async load(): Promise<RootPair | undefined> {
    const hasCert = existsSync(this.#cert);
    const hasKey = existsSync(this.#key);
    if (!hasCert && !hasKey) return undefined;
    if (hasCert !== hasKey) {
      throw new CaError(
        'PETREL_CA_ROOT_STORE',
        `${this.where}: has ${hasCert ? CA_CERT_KEY : CA_KEY_KEY} without ${hasCert ? CA_KEY_KEY : CA_CERT_KEY}`,
      );
    }
    try {
      return {
        certPem: await readFile(this.#cert, 'utf8'),
        keyPem: await readFile(this.#key, 'utf8'),
      };
    } catch (err) {
      throw storeError(this.where, err);
    }
  }

  async create(pair: RootPair): Promise<RootPair> {
    try {
      await mkdir(this.where, { recursive: true, mode: 0o700 });
      // Key first, each through a rename, so a crash never leaves a certificate without its key.
      await writeFile(`${this.#key}.tmp`, pair.keyPem, { mode: 0o600 });
      await rename(`${this.#key}.tmp`, this.#key);
      await writeFile(`${this.#cert}.tmp`, pair.certPem, { mode: 0o644 });
      await rename(`${this.#cert}.tmp`, this.#cert);
      return pair;
    } catch (err) {
      throw storeError(this.where, err);
    }
  }
}

export class SecretRootStore implements RootStore {
  readonly where: string;
  readonly #api: CoreV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kc: KubeConfig, options: { namespace?: string; name?: string } = {}) {
    this.#api = kc.makeApiClient(CoreV1Api);
    this.#namespace = options.namespace ?? DEFAULT_CA_NAMESPACE;
    this.#name = options.name ?? CA_SECRET_NAME;
    this.where = `Secret ${this.#namespace}/${this.#name}`;
  }

  async load(): Promise<RootPair | undefined> {
    let secret: V1Secret;
    try {
      secret = await this.#api.readNamespacedSecret({
        name: this.#name,
        namespace: this.#namespace,
      });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw storeError(this.where, kubeMessage(err));
    }
    const cert = secret.data?.[CA_CERT_KEY];
    const key = secret.data?.[CA_KEY_KEY];
    if (!cert || !key)
      throw new CaError(
        'PETREL_CA_ROOT_STORE',
        `${this.where}: data.${cert ? CA_KEY_KEY : CA_CERT_KEY} is missing`,
      );
    return {
      certPem: Buffer.from(cert, 'base64').toString('utf8'),
      keyPem: Buffer.from(key, 'base64').toString('utf8'),
    };
  }

  async create(pair: RootPair): Promise<RootPair> {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: this.#name, namespace: this.#namespace },
      type: CA_SECRET_TYPE,
      data: {
        [CA_CERT_KEY]: Buffer.from(pair.certPem).toString('base64'),
        [CA_KEY_KEY]: Buffer.from(pair.keyPem).toString('base64'),
      },
    };
    try {
      await this.#api.createNamespacedSecret({ namespace: this.#namespace, body });
      return pair;
    } catch (err) {
      // Another pilot replica created it between our read and write: use theirs.
      if (err instanceof ApiException && err.code === 409) {
        const winner = await this.load();
        if (winner) return winner;
      }
      throw storeError(this.where, kubeMessage(err));
    }
  }
}
