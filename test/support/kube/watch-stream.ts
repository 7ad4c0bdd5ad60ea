// One watch response: newline-delimited JSON events over a chunked HTTP
// response, as `GET ...?watch=true` returns them
// (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
import type { ServerResponse } from 'node:http';
import { present, resourceId } from './resource-table.ts';
import type { ResourceType } from './resource-table.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import type { Matcher } from './selectors.ts';
import type { Target } from './handlers.ts';
import { ApiError } from './status.ts';
import type { KubeObject, Storage, StoredEvent } from './storage.ts';

export interface WatchParams {
  type: ResourceType;
  version: string;
  namespace?: string;
  /** As sent: '' or '0' start with the current state as ADDED events; a number replays from there. */
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  labels: Matcher;
  fields: Matcher;
}

/** The watch parameters of a request (`resourceVersion`, `allowWatchBookmarks`, selectors, ...). */
export function watchParams(t: Target, q: URLSearchParams): WatchParams {
  const timeout = q.get('timeoutSeconds');
  const sendInitialEvents = q.get('sendInitialEvents') === 'true';
  const allowBookmarks = q.get('allowWatchBookmarks') === 'true';
  if (sendInitialEvents && (!allowBookmarks || q.get('resourceVersionMatch') !== 'NotOlderThan')) {
    throw new ApiError(
      422,
      'Invalid',
      'sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan',
    );
  }
  return {
    type: t.type,
    version: t.version,
    ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
    resourceVersion: q.get('resourceVersion') ?? '',
    allowBookmarks,
    sendInitialEvents,
    ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
    labels: labelMatcher(q.get('labelSelector')),
    fields: fieldMatcher(q.get('fieldSelector'), t.type.kind),
  };
}

export class WatchStream {
  readonly #res: ServerResponse;
  readonly #storage: Storage;
  readonly #p: WatchParams;
  readonly #resource: string;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #onClose: () => void;

  constructor(res: ServerResponse, storage: Storage, params: WatchParams, onClose: () => void) {
    this.#res = res;
    this.#storage = storage;
    this.#p = params;
    this.#resource = resourceId(params.type.group, params.type.plural);
    this.#onClose = onClose;
  }

  get resource(): string {
    return this.#resource;
  }

  start(): void {
    const res = this.#res;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    res.on('close', () => this.#cleanup());

    const { resourceVersion } = this.#p;
    const fromNow = resourceVersion === '' || resourceVersion === '0';
    let replay: StoredEvent[] = [];
    if (!fromNow) {
      const rv = Number(resourceVersion);
      try {
        replay = this.#storage.eventsSince(this.#resource, rv);
      } catch (err) {
        // Too old: the real server also answers 200 and sends the 410 as an ERROR event.
        if (err instanceof ApiError) return this.#fail(err);
        throw err;
      }
    }
    // Subscribing before sending is gap-free: everything here runs in one turn of the event loop.
    this.#unsubscribe = this.#storage.subscribe((e) => this.#onEvent(e));
    if (fromNow || this.#p.sendInitialEvents) {
      for (const obj of this.#storage.list(this.#resource, this.#p.namespace)) {
        if (this.#matches(obj)) this.#send('ADDED', obj);
      }
      if (this.#p.sendInitialEvents && this.#p.allowBookmarks) {
        this.#sendBookmark({ 'k8s.io/initial-events-end': 'true' });
      }
    }
    for (const e of replay) this.#onEvent(e);
    if (this.#p.timeoutSeconds !== undefined) {
      this.#timer = setTimeout(() => this.end(), this.#p.timeoutSeconds * 1000);
    }
  }

  /** A BOOKMARK at the current revision (only to clients that asked for bookmarks). */
  bookmark(): void {
    if (this.#p.allowBookmarks && !this.#closed) this.#sendBookmark();
  }

  /** Ends the response cleanly, as the server does at timeoutSeconds: the client re-watches from its last RV. */
  end(): void {
    if (this.#closed) return;
    this.#res.end();
    this.#cleanup();
  }

  #fail(err: ApiError): void {
    this.#write({ type: 'ERROR', object: err.status });
    this.end();
  }

  #onEvent(e: StoredEvent): void {
    if (e.resource !== this.#resource) return;
    const now = e.type !== 'DELETED' && this.#matches(e.object);
    const before = e.previous !== undefined && this.#matches(e.previous);
    // A change that moves an object into or out of the selection is an ADDED or DELETED for this watch.
    if (e.type === 'DELETED') {
      if (before) this.#send('DELETED', e.object);
    } else if (now && (e.type === 'ADDED' || !before)) {
      this.#send('ADDED', e.object);
    } else if (now) {
      this.#send('MODIFIED', e.object);
    } else if (before) {
      this.#send('DELETED', e.object);
    }
  }

  #matches(obj: KubeObject): boolean {
    if (this.#p.namespace !== undefined && obj.metadata.namespace !== this.#p.namespace)
      return false;
    return this.#p.labels(obj) && this.#p.fields(obj);
  }

  #send(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    this.#write({ type, object: present(this.#p.type, this.#p.version, obj) });
  }

  #sendBookmark(annotations?: Record<string, string>): void {
    const metadata = {
      resourceVersion: String(this.#storage.revision),
      ...(annotations ? { annotations } : {}),
    };
    this.#write({ type: 'BOOKMARK', object: present(this.#p.type, this.#p.version, { metadata }) });
  }

  #write(event: unknown): void {
    if (!this.#closed) this.#res.write(`${JSON.stringify(event)}\n`);
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    this.#onClose();
  }
}
