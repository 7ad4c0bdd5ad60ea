// The verbs on one resource (list, get, create, update, patch, delete,
// deletecollection) with the API server's rules for names, namespaces,
// resourceVersion preconditions, generation, status subresources and no-op
// writes. Watch lives in watch-stream.ts.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { applyPatch } from './patch.ts';
import { groupVersion, present, resourceId } from './resource-table.ts';
import type { ResourceType } from './resource-table.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  invalid,
  notFound,
  successStatus,
} from './status.ts';
import type { KubeStatus } from './status.ts';
import {
  checkName,
  decodeContinue,
  encodeContinue,
  objectKey,
  randomSuffix,
  resetStatus,
  specOf,
} from './object-rules.ts';
import type { KubeObject, Storage } from './storage.ts';

export interface Target {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

type Body = Record<string, unknown>;

export class ResourceHandlers {
  readonly #storage: Storage;
  /** Every served resource type, for the namespace controller's cascade. */
  readonly #allTypes: () => readonly ResourceType[];

  constructor(storage: Storage, allTypes: () => readonly ResourceType[]) {
    this.#storage = storage;
    this.#allTypes = allTypes;
  }

  list(t: Target, query: URLSearchParams): unknown {
    const labels = labelMatcher(query.get('labelSelector'));
    const fields = fieldMatcher(query.get('fieldSelector'), t.type.kind);
    let items = this.#storage.list(id(t), t.namespace).filter((o) => labels(o) && fields(o));
    let rv = this.#storage.revision;
    const metadata: Record<string, unknown> = {};
    // Pagination: the token remembers where the last page ended. The double serves
    // later pages from the current state (etcd would serve the token's revision).
    const token = query.get('continue');
    if (token) {
      const { rv: tokenRv, after } = decodeContinue(token);
      if (tokenRv < this.#storage.compactedRevision) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      rv = tokenRv;
      items = items.filter((o) => objectKey(o) > after);
    }
    const limit = Number(query.get('limit') ?? 0);
    if (limit > 0 && items.length > limit) {
      metadata.continue = encodeContinue(rv, objectKey(items[limit - 1]!));
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    metadata.resourceVersion = String(rv);
    // Built-in lists leave apiVersion/kind off their items; custom resources keep them.
    const shown = items.map((o) => (t.type.custom ? present(t.type, t.version, o) : o));
    return {
      apiVersion: groupVersion(t.type.group, t.version),
      kind: `${t.type.kind}List`,
      metadata,
      items: shown,
    };
  }

  get(t: Target): unknown {
    return present(t.type, t.version, this.#existing(t));
  }

  create(t: Target, body: Body, dryRun: boolean): unknown {
    this.#checkEnvelope(t, body);
    const meta = { ...(body.metadata as KubeObject['metadata']) };
    if (!meta.name && typeof meta.generateName === 'string')
      meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name)
      throw invalid(t.type.kind, '', 'metadata.name', '', 'name or generateName is required');
    checkName(t.type, meta.name);
    if (t.type.namespaced) {
      meta.namespace = t.namespace;
      if (!this.#storage.get('namespaces', undefined, t.namespace!)) {
        throw notFound('namespaces', '', 'namespaces', t.namespace!);
      }
    } else {
      delete meta.namespace;
    }
    if (this.#storage.get(id(t), meta.namespace, meta.name))
      throw alreadyExists(id(t), t.type.group, t.type.plural, meta.name);
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (t.type.custom) meta.generation = 1;
    const { apiVersion: _a, kind: _k, ...rest } = body;
    const obj: KubeObject = { ...rest, metadata: meta };
    if (t.type.status) resetStatus(t.type.kind, obj);
    return present(t.type, t.version, dryRun ? obj : this.#storage.write(id(t), obj));
  }

  update(t: Target, body: Body, dryRun: boolean): unknown {
    this.#checkEnvelope(t, body);
    const current = this.#existing(t);
    const meta = body.metadata as KubeObject['metadata'];
    if (meta.name !== t.name)
      throw badRequest(
        `the name of the object (${meta.name}) does not match the name on the URL (${t.name})`,
      );
    if (!meta.resourceVersion && t.type.custom) {
      throw invalid(
        t.type.kind,
        t.name!,
        'metadata.resourceVersion',
        0,
        'must be specified for an update',
      );
    }
    return this.#replace(t, current, body, dryRun);
  }

  patch(t: Target, contentType: string, body: string, dryRun: boolean): unknown {
    const current = this.#existing(t);
    const patched = applyPatch(
      contentType,
      present(t.type, t.version, current),
      body,
      t.type.kind,
      t.type.custom,
    ) as Body;
    if (
      !patched ||
      typeof patched !== 'object' ||
      typeof patched.metadata !== 'object' ||
      patched.metadata === null
    ) {
      throw new ApiError(422, 'Invalid', 'the patch removed metadata');
    }
    const meta = patched.metadata as KubeObject['metadata'];
    if (
      meta.name !== current.metadata.name ||
      (meta.namespace ?? undefined) !== current.metadata.namespace
    ) {
      throw invalid(t.type.kind, t.name!, 'metadata.name', meta.name, 'field is immutable');
    }
    return this.#replace(t, current, patched, dryRun);
  }

  delete(t: Target, body: Body | undefined, dryRun: boolean): unknown {
    const current = this.#existing(t);
    const pre = body?.preconditions as { uid?: string; resourceVersion?: string } | undefined;
    if (
      (pre?.uid && pre.uid !== current.metadata.uid) ||
      (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
    ) {
      throw conflict(id(t), t.type.group, t.type.plural, t.name!);
    }
    if (dryRun) return present(t.type, t.version, current);
    // There is no namespace controller: deleting a namespace removes its objects at once.
    if (t.type.kind === 'Namespace' && t.type.group === '') {
      for (const type of this.#allTypes()) {
        if (!type.namespaced) continue;
        for (const o of this.#storage.list(resourceId(type.group, type.plural), t.name)) {
          this.#storage.delete(resourceId(type.group, type.plural), t.name, o.metadata.name);
        }
      }
    }
    const gone = this.#storage.delete(id(t), t.namespace, t.name!)!;
    // Custom resources answer with the deleted object, built-in kinds with a Status.
    if (t.type.custom) return present(t.type, t.version, gone);
    return successStatus({
      name: t.name!,
      group: t.type.group,
      kind: t.type.plural,
      uid: gone.metadata.uid!,
    }) satisfies KubeStatus;
  }

  deleteCollection(t: Target, query: URLSearchParams, dryRun: boolean): unknown {
    const list = this.list(t, query) as { items: KubeObject[] };
    const items = list.items.map((o) =>
      dryRun ? o : this.#storage.delete(id(t), o.metadata.namespace, o.metadata.name)!,
    );
    return {
      ...list,
      items: items.map((o) => (t.type.custom ? present(t.type, t.version, o) : o)),
    };
  }

  #replace(t: Target, current: KubeObject, body: Body, dryRun: boolean): unknown {
    const meta = body.metadata as KubeObject['metadata'];
    if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(id(t), t.type.group, t.type.plural, t.name!);
    }
    const { apiVersion: _a, kind: _k, ...rest } = body;
    let next: KubeObject;
    if (t.subresource === 'status') {
      next = { ...current, status: rest.status };
    } else {
      next = { ...rest, metadata: { ...meta } };
      // Server-owned metadata is not the client's to change.
      for (const f of [
        'uid',
        'creationTimestamp',
        'generation',
        'namespace',
        'resourceVersion',
      ] as const) {
        const m = next.metadata as Record<string, unknown>;
        if (current.metadata[f] === undefined) delete m[f];
        else m[f] = current.metadata[f];
      }
      if (t.type.status) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
      if (t.type.custom && !isDeepStrictEqual(specOf(current), specOf(next)))
        next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    // A write that changes nothing gets no new resourceVersion and no watch event.
    if (isDeepStrictEqual(next, current) || dryRun)
      return present(t.type, t.version, dryRun ? next : current);
    return present(t.type, t.version, this.#storage.write(id(t), next));
  }

  #existing(t: Target): KubeObject {
    const obj = this.#storage.get(id(t), t.namespace, t.name!);
    if (!obj) throw notFound(id(t), t.type.group, t.type.plural, t.name!);
    return obj;
  }

  #checkEnvelope(t: Target, body: Body): void {
    const expected = groupVersion(t.type.group, t.version);
    // Built-in kinds decode into the URL's type, so a body may leave apiVersion/kind
    // out; custom resources are decoded as unstructured JSON and must carry them.
    if (!t.type.custom) {
      body.apiVersion ??= expected;
      body.kind ??= t.type.kind;
    }
    if (typeof body.kind !== 'string' || !body.kind)
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    if (body.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (body.kind !== t.type.kind)
      throw badRequest(
        `the kind in the data (${body.kind}) does not match the expected kind (${t.type.kind})`,
      );
    if (typeof body.metadata !== 'object' || body.metadata === null)
      throw badRequest('metadata is required');
    const ns = (body.metadata as KubeObject['metadata']).namespace;
    if (t.type.namespaced && ns && ns !== t.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
  }
}

function id(t: Target): string {
  return resourceId(t.type.group, t.type.plural);
}
