// Putting YAML into the real API server and reading its answers: create objects
// in order, wait for CRDs to be served, and turn a refusal into the one line the
// API server wrote (the Status message kubectl prints).
import { execFileSync } from 'node:child_process';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export function parseObjects(yaml: string): KubernetesObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object');
}

/** The Status message of a refused request (what kubectl shows), else the error's own message. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : (err as Error).message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The HTTP status of a refused request. */
export function apiCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Runs `action` and returns the API server's refusal message; fails if it was accepted. */
export async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (err) {
    if (apiCode(err) === undefined) throw err;
    return apiMessage(err);
  }
  throw new Error('the API server accepted a request it should have refused');
}

function describe(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind} ${ns}${obj.metadata?.name}`;
}

/** Creates each object in order; a refusal names the object and carries the API server's message. */
export async function createAll(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    try {
      await api.create(obj);
    } catch (err) {
      throw new Error(`creating ${describe(obj)}: ${apiMessage(err)}`, { cause: err });
    }
  }
}

/** Polls until `probe` returns a value; the bound only stops a broken test from hanging. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${apiMessage(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Installs CustomResourceDefinitions and waits until each is Established and its
 * objects can be listed: for a moment after Established the API server still
 * answers 429 "storage is (re)initializing" while its watch cache fills.
 */
export async function installCrds(kc: KubeConfig, crds: KubernetesObject[]): Promise<string[]> {
  await createAll(kc, crds);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const names = crds.map((c) => c.metadata!.name!);
  for (const name of names) {
    const crd = await eventually(`CRD ${name} to be Established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? crd
        : undefined;
    });
    const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]!.name;
    await eventually(`${name} to be listable`, async () => {
      await custom.listClusterCustomObject({
        group: crd.spec.group,
        version,
        plural: crd.spec.names.plural,
        limit: 1,
      });
      return true;
    });
  }
  return names;
}

/** `helm template` of one chart in the repo, as objects. */
export function renderChart(
  helm: string,
  repo: string,
  chart: string,
  namespace: string,
  set: string[] = [],
): KubernetesObject[] {
  const out = execFileSync(
    helm,
    [
      'template',
      chart,
      `charts/${chart}`,
      '--namespace',
      namespace,
      ...set.flatMap((s) => ['--set', s]),
    ],
    {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return parseObjects(out);
}
