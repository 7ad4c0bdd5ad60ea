// One kind read from the API server: a client-node informer (ListWatch: list,
// then watch from the list's resourceVersion; on 410 Gone it lists again and
// reports what disappeared meanwhile as deletes). ListWatch stops on any other
// error; this class restarts it with backoff, re-discovering the served version
// (a CRD may be installed later), and replaces it with a fresh one on resync.
import { makeInformer } from '@kubernetes/client-node';
import type { Informer, KubeConfig, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { KindInfo } from '../../api/config/kinds.ts';
import { collectionPath, listAll, servedVersion } from './kube-client.ts';

export interface KindWatchHandlers {
  upsert(info: KindInfo, apiVersion: string, obj: KubernetesObject): void;
  remove(info: KindInfo, obj: KubernetesObject): void;
  /** A list succeeded: the kind is being served again. */
  healthy(info: KindInfo, path: string): void;
  /** Discovery, list or watch failed; `retryMs` until the next attempt. */
  failed(info: KindInfo, path: string, err: unknown, retryMs: number): void;
}

export interface KindWatchOptions {
  retryInitialMs: number;
  retryMaxMs: number;
}

type KindInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

export class KindWatch {
  readonly info: KindInfo;
  readonly #kc: KubeConfig;
  readonly #h: KindWatchHandlers;
  readonly #opts: KindWatchOptions;
  #informer: KindInformer | undefined;
  #path = '';
  #version = '';
  #retryMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #synced = false;

  constructor(
    kc: KubeConfig,
    info: KindInfo,
    handlers: KindWatchHandlers,
    options: KindWatchOptions,
  ) {
    this.#kc = kc;
    this.info = info;
    this.#h = handlers;
    this.#opts = options;
    this.#retryMs = options.retryInitialMs;
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves after the first attempt, listed or failed (a failure is retried in the background). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const informer = this.#informer;
    this.#informer = undefined;
    await informer?.stop();
  }

  /** Lists afresh with a new informer; objects it does not list are returned for deletion. */
  async resync(): Promise<KubernetesObject[] | undefined> {
    if (this.#stopped || !this.#informer || !this.#synced) return undefined;
    const old = this.#informer;
    const fresh = this.#makeInformer(this.#path, this.#version);
    let ok = true;
    fresh.on('error', () => (ok = false));
    this.#informer = fresh;
    await fresh.start();
    if (!ok || this.#informer !== fresh) {
      // The fresh one failed (its error handler scheduled a retry) or we were stopped.
      await old.stop();
      return undefined;
    }
    const gone = old
      .list()
      .filter((o) => !fresh.get(o.metadata?.name ?? '', o.metadata?.namespace));
    await old.stop();
    return gone;
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    let version: string;
    try {
      version = await servedVersion(this.#kc, this.info);
    } catch (err) {
      return this.#fail(err);
    }
    if (this.#stopped) return; // stopped while discovery was in flight
    const path = collectionPath(this.info, version);
    if (!this.#informer || path !== this.#path) {
      await this.#informer?.stop();
      this.#path = path;
      this.#version = version;
      this.#informer = this.#makeInformer(path, version);
    }
    await this.#informer.start();
  }

  #makeInformer(path: string, version: string): KindInformer {
    const apiVersion = this.info.group ? `${this.info.group}/${version}` : version;
    const informer = makeInformer(this.#kc, path, async () => {
      const list = await listAll(this.#kc, path);
      // Healthy once a list succeeds; ListWatch delivers its items right after.
      if (this.#informer === informer) {
        this.#retryMs = this.#opts.retryInitialMs;
        this.#synced = true;
        this.#h.healthy(this.info, path);
      }
      return list;
    });
    const mine = () => this.#informer === informer && !this.#stopped;
    informer.on('add', (o) => mine() && this.#h.upsert(this.info, apiVersion, o));
    informer.on('update', (o) => mine() && this.#h.upsert(this.info, apiVersion, o));
    informer.on('delete', (o) => mine() && this.#h.remove(this.info, o));
    informer.on('error', (err) => mine() && this.#fail(err));
    return informer;
  }

  #fail(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#opts.retryMaxMs);
    this.#h.failed(
      this.info,
      this.#path || (this.info.group ? `/apis/${this.info.group}` : '/api'),
      err,
      delay,
    );
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#attempt(), delay);
    this.#retryTimer.unref();
  }
}
