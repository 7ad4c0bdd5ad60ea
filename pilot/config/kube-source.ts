// `--kube`: every kind of api/config/kinds.ts read from the Kubernetes API with
// informers (kube-kind-watch.ts), admitted exactly like file objects
// (admit.ts). As in Istio, an invalid object is reported and not used: the
// store keeps its previous good version. A kind the server does not serve (CRD
// missing) is reported once and retried, never fatal.
import {
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { KINDS } from '../../api/config/kinds.ts';
import type { KindInfo } from '../../api/config/kinds.ts';
import { configKey } from '../../api/config/object.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import type {
  ConfigDiagnostic,
  ConfigSource,
  ConfigSourceStatus,
  MutableConfigStore,
} from './types.ts';
import { admitObject } from './admit.ts';
import { DiagnosticBoard } from './diagnostics.ts';
import { errorMessage } from './errors.ts';
import { defaultKubeConfig, kubeMessage } from './kube-client.ts';
import { KindWatch } from './kube-kind-watch.ts';

export interface KubeSourceOptions {
  store: MutableConfigStore;
  /** Default: KUBECONFIG, ~/.kube/config or in-cluster, as kubectl picks. */
  kubeConfig?: KubeConfig;
  /** Default: every kind Petrel accepts. */
  kinds?: readonly KindInfo[];
  /** Full relist period, correcting anything a watch may have missed; 0 disables. Default 10 min. */
  resyncMs?: number;
  /** Backoff between attempts for a kind that failed (missing CRD, network): initial and cap. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export class KubeConfigSource implements ConfigSource {
  readonly #store: MutableConfigStore;
  readonly #kc: KubeConfig;
  readonly #board = new DiagnosticBoard();
  readonly #watches: KindWatch[];
  readonly #resyncMs: number;
  #resyncTimer: NodeJS.Timeout | undefined;
  #resyncing: Promise<void> | undefined;

  constructor(options: KubeSourceOptions) {
    this.#store = options.store;
    this.#kc = options.kubeConfig ?? defaultKubeConfig();
    this.#resyncMs = options.resyncMs ?? 600_000;
    const retry = {
      retryInitialMs: options.retryInitialMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 30_000,
    };
    const handlers = {
      upsert: (info: KindInfo, apiVersion: string, o: KubernetesObject) =>
        this.#upsert(info, apiVersion, o),
      remove: (info: KindInfo, o: KubernetesObject) => this.#remove(info, o),
      healthy: (info: KindInfo) => this.#board.clear(this.#kindOrigin(info)),
      failed: (info: KindInfo, path: string, err: unknown) => this.#failed(info, path, err),
    };
    this.#watches = (options.kinds ?? KINDS).map(
      (info) => new KindWatch(this.#kc, info, handlers, retry),
    );
  }

  /** Resolves once every kind has been listed or has failed once (failures keep retrying). */
  async start(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.start()));
    if (this.#resyncMs > 0) {
      this.#resyncTimer = setInterval(() => void this.resync(), this.#resyncMs);
      this.#resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#resyncTimer);
    await Promise.all(this.#watches.map((w) => w.stop()));
  }

  onDiagnostic(listener: (d: ConfigDiagnostic) => void): () => void {
    return this.#board.onDiagnostic(listener);
  }

  status(): ConfigSourceStatus {
    return this.#board.status();
  }

  /**
   * Writes an Ingress's status.loadBalancer.ingress (merge patch on the status
   * subresource), as Istio's ingress controller does for the Ingresses it serves.
   * Rejects with the API server's message.
   */
  async writeIngressStatus(update: {
    namespace: string;
    name: string;
    ingress: Array<{ ip?: string; hostname?: string }>;
  }): Promise<void> {
    const api = this.#kc.makeApiClient(NetworkingV1Api);
    try {
      await api.patchNamespacedIngressStatus(
        {
          namespace: update.namespace,
          name: update.name,
          body: { status: { loadBalancer: { ingress: update.ingress } } },
          fieldManager: 'pilot-discovery',
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw new Error(kubeMessage(err), { cause: err });
    }
  }

  /** Relists every kind now and deletes what the server no longer has. */
  async resync(): Promise<void> {
    // One at a time: a relist stuck on an unresponsive server must not pile up more.
    this.#resyncing ??= (async () => {
      try {
        for (const w of this.#watches) {
          const gone = await w.resync();
          for (const o of gone ?? []) this.#remove(w.info, o);
        }
      } finally {
        this.#resyncing = undefined;
      }
    })();
    return this.#resyncing;
  }

  #upsert(info: KindInfo, apiVersion: string, raw: KubernetesObject): void {
    const obj = toConfigObject(raw, info, apiVersion);
    const key = configKey(info.kind, obj.metadata.namespace, obj.metadata.name);
    const origin = `kube ${key}`;
    const result = admitObject(obj);
    const line = (d: { message: string }) => `kube: ${d.message}`;
    const warnings: ConfigDiagnostic[] = result.warnings.map((w) => ({
      severity: 'warning',
      code: w.code,
      message: line(w),
    }));
    if (!result.object) {
      // Not used; whatever good version the store has stays.
      const errors: ConfigDiagnostic[] = result.errors.map((e) => ({
        severity: 'error',
        code: e.code,
        message: line(e),
      }));
      this.#board.set(origin, [...errors, ...warnings]);
      return;
    }
    this.#board.set(origin, warnings);
    this.#store.upsert(result.object);
  }

  #remove(info: KindInfo, raw: KubernetesObject): void {
    const namespace = info.namespaced ? raw.metadata?.namespace : undefined;
    const name = raw.metadata?.name ?? '';
    const key = configKey(info.kind, namespace, name);
    this.#board.clear(`kube ${key}`);
    this.#store.remove(info.kind, namespace, name);
  }

  #failed(info: KindInfo, path: string, err: unknown): void {
    const status = (err as { statusCode?: number } | undefined)?.statusCode;
    // Reported once per distinct problem: the board fires only messages not already in force,
    // so the message leaves out what changes between attempts (the backoff delay).
    const d: ConfigDiagnostic =
      status === 404
        ? {
            severity: 'error',
            code: 'PETREL_CONFIG_KUBE_MISSING_KIND',
            message: `kube: ${info.kind} (${path}): not served by the API server (CRD not installed?); retrying`,
          }
        : {
            severity: 'error',
            code: 'PETREL_CONFIG_KUBE_WATCH',
            message: `kube: ${info.kind} (${path}): ${errorMessage(err)}; retrying`,
          };
    this.#board.set(this.#kindOrigin(info), [d]);
  }

  #kindOrigin(info: KindInfo): string {
    return `kube ${info.group || 'core'} ${info.plural}`;
  }
}

/**
 * The object as the store keeps it: apiVersion/kind filled in (built-in lists
 * leave them off their items), API-server bookkeeping that is no config
 * (managedFields) dropped. A copy: the informer's cache keeps its own.
 */
function toConfigObject(raw: KubernetesObject, info: KindInfo, apiVersion: string): ConfigObject {
  const copy = structuredClone(raw) as unknown as ConfigObject;
  copy.apiVersion = raw.apiVersion || apiVersion;
  copy.kind = raw.kind || info.kind;
  copy.metadata = { ...(copy.metadata ?? { name: '' }) };
  delete (copy.metadata as { managedFields?: unknown }).managedFields;
  return copy;
}
