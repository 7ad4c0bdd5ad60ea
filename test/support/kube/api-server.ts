// A Kubernetes API server double over real HTTP on 127.0.0.1:0, for driving
// code that uses @kubernetes/client-node: discovery, list, watch (with
// resourceVersion, bookmarks and 410 Gone after compaction), create, update,
// patch, delete, status subresources and TokenReview. Tests steer what a real
// cluster does on its own: compaction, dropped watch connections, CRDs that
// are missing or get installed.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import type { ExtraResource } from './discovery.ts';
import { ResourceHandlers } from './handlers.ts';
import type { Target } from './handlers.ts';
import { defaultResources, resourceId } from './resource-table.ts';
import type { ResourceType } from './resource-table.ts';
import { route } from './routes.ts';
import { ApiError } from './status.ts';
import { Storage } from './storage.ts';
import { TokenRegistry } from './token-review.ts';
import type { TokenUser } from './token-review.ts';
import { WatchStream, watchParams } from './watch-stream.ts';
import { NotServed, notServed, parseJson, readBody, sendJson, sendText } from './http-io.ts';

export interface ApiServerOptions {
  /** The resource table; default: defaultResources(). */
  resources?: ResourceType[];
  /** Resource ids (`sidecars.networking.istio.io`) to leave out, e.g. a CRD that is not installed. */
  omit?: string[];
  /** Namespaces that exist from the start; default those of a fresh cluster. */
  namespaces?: string[];
  /** Send a BOOKMARK to every watch that allows them this often; 0 (default): only on sendBookmarks(). */
  bookmarkIntervalMs?: number;
}

const TOKEN_REVIEWS: ExtraResource = {
  group: 'authentication.k8s.io',
  version: 'v1',
  resource: { name: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'] },
};

export class KubeApiServerDouble {
  readonly adminToken = randomBytes(16).toString('hex');
  /** `METHOD /path?query` of every request, in order. */
  readonly requests: string[] = [];
  readonly tokens = new TokenRegistry();
  readonly #storage = new Storage();
  readonly #handlers: ResourceHandlers;
  #resources: ResourceType[];
  readonly #server: Server;
  readonly #watches = new Set<WatchStream>();
  #held: Array<() => void> | undefined;
  #bookmarkTimer: NodeJS.Timeout | undefined;
  #url = '';

  private constructor(options: ApiServerOptions) {
    const omit = new Set(options.omit ?? []);
    this.#resources = (options.resources ?? defaultResources()).filter(
      (r) => !omit.has(resourceId(r.group, r.plural)),
    );
    this.#handlers = new ResourceHandlers(this.#storage, () => this.#resources);
    for (const name of options.namespaces ?? [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
    ]) {
      this.#storage.write('namespaces', {
        metadata: { name, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
    this.#server = createServer((req, res) => void this.#handle(req, res));
    if (options.bookmarkIntervalMs) {
      this.#bookmarkTimer = setInterval(() => this.sendBookmarks(), options.bookmarkIntervalMs);
      this.#bookmarkTimer.unref();
    }
  }

  static async start(options: ApiServerOptions = {}): Promise<KubeApiServerDouble> {
    const double = new KubeApiServerDouble(options);
    await new Promise<void>((resolve) => double.#server.listen(0, '127.0.0.1', resolve));
    double.#url = `http://127.0.0.1:${(double.#server.address() as AddressInfo).port}`;
    return double;
  }

  get url(): string {
    return this.#url;
  }

  /** The latest resourceVersion (etcd revision). */
  get revision(): number {
    return this.#storage.revision;
  }

  /** Open watch connections. */
  get watchCount(): number {
    return this.#watches.size;
  }

  /** A KubeConfig with one context pointing at this server as an admin. */
  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // client-node only speaks plain http:// to a cluster marked skipTLSVerify.
      clusters: [{ name: 'double', server: this.#url, skipTLSVerify: true }],
      users: [{ name: 'admin', token: this.adminToken }],
      contexts: [{ name: 'double', cluster: 'double', user: 'admin', namespace }],
      currentContext: 'double',
    });
    return kc;
  }

  /** The same as a kubeconfig file's text (JSON, which is YAML), for KUBECONFIG. */
  kubeconfigText(namespace = 'default'): string {
    return this.kubeConfig(namespace).exportConfig();
  }

  registerToken(token: string, user: TokenUser): void {
    this.tokens.register(token, user);
  }

  /** Forgets the event history: watches resuming from before now get 410 Gone. */
  compact(): void {
    this.#storage.compact();
  }

  /**
   * Ends every open watch, as a dropped connection or API server restart does.
   * With `hold`, new watch requests wait (unanswered) until releaseWatches():
   * the clients stay disconnected while the test changes things.
   */
  disconnectWatches(options: { hold?: boolean } = {}): void {
    if (options.hold) this.#held ??= [];
    for (const w of [...this.#watches]) w.end();
  }

  releaseWatches(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const resume of held) resume();
  }

  sendBookmarks(): void {
    for (const w of this.#watches) w.bookmark();
  }

  /** Installs a resource type (a CRD being applied). */
  installResource(type: ResourceType): void {
    this.removeResource(type.group, type.plural);
    this.#resources.push(type);
  }

  /** Removes a resource type: its objects are deleted (watchers see DELETED) and its watches end. */
  removeResource(group: string, plural: string): void {
    const id = resourceId(group, plural);
    const type = this.#resources.find((r) => resourceId(r.group, r.plural) === id);
    if (!type) return;
    for (const o of this.#storage.list(id))
      this.#storage.delete(id, o.metadata.namespace, o.metadata.name);
    for (const w of [...this.#watches]) if (w.resource === id) w.end();
    this.#resources = this.#resources.filter((r) => r !== type);
  }

  async close(): Promise<void> {
    clearInterval(this.#bookmarkTimer);
    this.releaseWatches();
    for (const w of [...this.#watches]) w.end();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #find = (group: string, version: string, plural: string): ResourceType | undefined =>
    this.#resources.find(
      (r) => r.group === group && r.plural === plural && r.versions.includes(version),
    );

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    try {
      const body = await readBody(req);
      if (!this.#authenticated(req)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const result = this.#dispatch(req, res, url, body);
      if (result === undefined) return; // a watch: the stream owns the response
      sendJson(res, result.code, result.body);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ApiError) sendJson(res, err.status.code, err.status);
      else if (err instanceof NotServed) sendText(res, 404, '404 page not found\n');
      else
        sendJson(
          res,
          500,
          new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`)
            .status,
        );
    }
  }

  #authenticated(req: IncomingMessage): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return !!m && (m[1] === this.adminToken || this.tokens.userFor(m[1]!) !== undefined);
  }

  #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): { code: number; body: unknown } | undefined {
    const r = route(url.pathname, this.#find);
    const ok = (b: unknown, code = 200) => ({ code, body: b ?? notServed() });
    const method = req.method ?? 'GET';
    const extras = [TOKEN_REVIEWS];
    switch (r.kind) {
      case 'version':
        return ok({
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-petrel-double',
          platform: 'linux/amd64',
        });
      case 'api':
        return ok(apiVersions(this.#url.replace(/^https?:\/\//, '')));
      case 'apis':
        return ok(apiGroupList(this.#resources, extras));
      case 'group':
        return ok(apiGroupDoc(r.group, this.#resources, extras));
      case 'groupVersion':
        return ok(apiResourceList(r.group, r.version, this.#resources, extras));
      case 'unknown':
        throw new NotServed();
    }
    if (
      r.group === TOKEN_REVIEWS.group &&
      r.version === TOKEN_REVIEWS.version &&
      r.plural === 'tokenreviews' &&
      !r.name
    ) {
      if (method !== 'POST')
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
      return ok(this.tokens.review(parseJson(body)), 201);
    }
    if (!apiResourceList(r.group, r.version, this.#resources, extras)) throw new NotServed();
    const type = r.type;
    if (
      !type ||
      (r.namespace !== undefined && !type.namespaced) ||
      (r.subresource && !(r.subresource === 'status' && type.status))
    ) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (type.namespaced && r.name !== undefined && r.namespace === undefined) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const t: Target = {
      type,
      version: r.version,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.subresource ? { subresource: r.subresource } : {}),
    };
    const q = url.searchParams;
    const dryRun = q.get('dryRun') === 'All';
    const isWatch = r.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    if (method === 'GET' && isWatch && !r.name) return this.#watch(req, res, t, q);
    if (method === 'GET') return ok(r.name ? this.#handlers.get(t) : this.#handlers.list(t, q));
    if (method === 'POST' && !r.name)
      return ok(this.#handlers.create(t, parseJson(body), dryRun), 201);
    if (method === 'PUT' && r.name) return ok(this.#handlers.update(t, parseJson(body), dryRun));
    if (method === 'PATCH' && r.name)
      return ok(this.#handlers.patch(t, req.headers['content-type'] ?? '', body, dryRun));
    if (method === 'DELETE' && r.name)
      return ok(this.#handlers.delete(t, body ? parseJson(body) : undefined, dryRun));
    if (method === 'DELETE') return ok(this.#handlers.deleteCollection(t, q, dryRun));
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  #watch(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): undefined {
    const stream = new WatchStream(res, this.#storage, watchParams(t, q), () =>
      this.#watches.delete(stream),
    );
    const begin = () => {
      if (req.socket.destroyed || res.writableEnded) return;
      // The type may have been removed (CRD deleted) while the request waited.
      if (!this.#resources.includes(t.type)) {
        const gone = new ApiError(
          404,
          'NotFound',
          'the server could not find the requested resource',
        );
        return void sendJson(res, 404, gone.status);
      }
      this.#watches.add(stream);
      stream.start();
    };
    if (this.#held) this.#held.push(begin);
    else begin();
    return undefined;
  }
}
