// Plain GETs against the API server through client-node's own request path
// (its auth, TLS and proxy handling from the KubeConfig), returning the JSON
// as the server sent it. The typed clients would turn timestamps into Dates
// and drop fields they do not know, while the informer's watch events stay raw
// JSON; the store must see one form only.
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
} from '@kubernetes/client-node';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KindInfo } from '../../api/config/kinds.ts';
import { ConfigError, errorMessage } from './errors.ts';

/** A non-2xx answer; `statusCode` is what ListWatch and the source classify on. */
export class KubeHttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.statusCode = statusCode;
  }
}

const http = new IsomorphicFetchHttpLibrary();

export async function getJson<T>(kc: KubeConfig, path: string): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new ConfigError('PETREL_CONFIG_KUBE_CONFIG', 'kubeconfig has no current cluster');
  const ctx = new RequestContext(`${cluster.server.replace(/\/+$/, '')}${path}`, HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'application/json');
  await kc.applySecurityAuthentication(ctx);
  const res = await http.send(ctx).toPromise();
  const text = await res.body.text();
  if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
    throw new KubeHttpError(res.httpStatusCode, `${res.httpStatusCode} ${statusMessage(text)}`);
  }
  return JSON.parse(text) as T;
}

/** The `message` of a Kubernetes Status body, or the body's first line. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: string };
    if (status.message) return status.message;
  } catch {
    // not JSON: e.g. "404 page not found" for a group that is not served
  }
  return text.split('\n', 1)[0]!.trim() || 'no body';
}

/**
 * What a client-node typed call failed with: `HTTP <code>: <Status message>`
 * for an ApiException, else the error's own message. One line either way.
 */
export function kubeMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const message =
      typeof body === 'string'
        ? body && statusMessage(body)
        : (body as { message?: string } | undefined)?.message;
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return errorMessage(err);
}

/**
 * The version to read a kind at: the server's preferred version of the group
 * when Petrel accepts it, else the first accepted version the server serves.
 * A group the server does not serve (CRDs not installed) is a 404.
 */
export async function servedVersion(kc: KubeConfig, info: KindInfo): Promise<string> {
  if (!info.group) return info.versions[0]!;
  const group = await getJson<{
    versions?: Array<{ version: string }>;
    preferredVersion?: { version: string };
  }>(kc, `/apis/${info.group}`);
  const served = new Set((group.versions ?? []).map((v) => v.version));
  const preferred = group.preferredVersion?.version;
  if (preferred && info.versions.includes(preferred)) return preferred;
  const version = info.versions.find((v) => served.has(v));
  if (!version)
    throw new KubeHttpError(404, `group ${info.group} serves none of ${info.versions.join(', ')}`);
  return version;
}

export function collectionPath(info: KindInfo, version: string): string {
  return info.group
    ? `/apis/${info.group}/${version}/${info.plural}`
    : `/api/${version}/${info.plural}`;
}

export function listAll(
  kc: KubeConfig,
  path: string,
): Promise<KubernetesListObject<KubernetesObject>> {
  return getJson(kc, path);
}

/** KUBECONFIG, ~/.kube/config, or the in-cluster service account, as kubectl would pick. */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new ConfigError(
      'PETREL_CONFIG_KUBE_CONFIG',
      `--kube: cannot load a kubeconfig: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigError(
      'PETREL_CONFIG_KUBE_CONFIG',
      '--kube: no cluster found (set KUBECONFIG, or run in a pod with a service account)',
    );
  }
  return kc;
}
