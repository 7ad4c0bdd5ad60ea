// Keeps the caBundle of the webhook configurations (named as Istio names them)
// equal to the CA of the serving certificate, so the API server trusts the
// webhook. Istio's istiod does the same (its webhook patcher), because a Helm
// upgrade or a restart with a new generated certificate leaves it stale.
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { InjectorError, errorLine } from './errors.ts';

export interface WebhookConfigNames {
  mutating: string;
  validating: string;
}

export type CaBundleResult = 'patched' | 'unchanged' | 'missing';

/** `istio-sidecar-injector[-<rev>]` and `istio-validator[-<rev>]-<namespace>`, as Istio's charts name them. */
export function istioWebhookConfigNames(
  revision = 'default',
  systemNamespace = 'istio-system',
): WebhookConfigNames {
  const rev = revision === 'default' ? '' : `-${revision}`;
  return {
    mutating: `istio-sidecar-injector${rev}`,
    validating: `istio-validator${rev}-${systemNamespace}`,
  };
}

interface WebhookList {
  webhooks?: Array<{ name: string; clientConfig: { caBundle?: string } }>;
}

/**
 * JSON patch setting every webhook's caBundle. Each change is guarded by a
 * `test` of the webhook's name at that index, so a concurrent edit that
 * reorders the list makes the patch fail (422) instead of patching the wrong entry.
 */
export function caBundlePatch(config: WebhookList, caBundle: string): object[] {
  const ops: object[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig?.caBundle === caBundle) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({
      op: w.clientConfig?.caBundle === undefined ? 'add' : 'replace',
      path: `/webhooks/${i}/clientConfig/caBundle`,
      value: caBundle,
    });
  });
  return ops;
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // not a Status body
    }
  }
  return errorLine(err);
}

async function patchOne(
  what: string,
  read: () => Promise<WebhookList>,
  patch: (ops: object[]) => Promise<unknown>,
  caBundle: string,
): Promise<CaBundleResult> {
  try {
    const config = await read();
    const ops = caBundlePatch(config, caBundle);
    if (ops.length === 0) return 'unchanged';
    await patch(ops);
    return 'patched';
  } catch (err) {
    if (statusCode(err) === 404) return 'missing';
    throw new InjectorError('PETREL_INJECT_WEBHOOK_CONFIG', `${what}: ${apiMessage(err)}`, {
      cause: err,
    });
  }
}

/** Sets caBundle (base64 of the CA PEM) on every webhook of both configurations; a missing one is reported, not created. */
export async function patchWebhookCaBundles(
  kc: KubeConfig,
  caPem: string,
  names: WebhookConfigNames = istioWebhookConfigNames(),
): Promise<Record<keyof WebhookConfigNames, CaBundleResult>> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString('base64');
  const mutating = await patchOne(
    `mutatingwebhookconfiguration ${names.mutating}`,
    () => api.readMutatingWebhookConfiguration({ name: names.mutating }) as Promise<WebhookList>,
    (ops) => api.patchMutatingWebhookConfiguration({ name: names.mutating, body: ops }),
    caBundle,
  );
  const validating = await patchOne(
    `validatingwebhookconfiguration ${names.validating}`,
    () =>
      api.readValidatingWebhookConfiguration({ name: names.validating }) as Promise<WebhookList>,
    (ops) => api.patchValidatingWebhookConfiguration({ name: names.validating, body: ops }),
    caBundle,
  );
  return { mutating, validating };
}

/**
 * Patches now and then every `intervalMs`, logging only changes and failures
 * (one line each). Returns a stop function.
 */
export function keepWebhookCaBundles(
  kc: KubeConfig,
  caPem: () => string,
  options: { names?: WebhookConfigNames; intervalMs?: number; log?: (line: string) => void } = {},
): { stop(): void; done: Promise<void> } {
  const log = options.log ?? ((line: string) => console.error(line));
  const names = options.names ?? istioWebhookConfigNames();
  let last = '';
  const run = async () => {
    try {
      const result = await patchWebhookCaBundles(kc, caPem(), names);
      const line = `petrel injector: caBundle of ${names.mutating}: ${result.mutating}, ${names.validating}: ${result.validating}`;
      if (line !== last && (result.mutating !== 'unchanged' || result.validating !== 'unchanged'))
        log(line);
      last = line;
    } catch (err) {
      log(`petrel injector: ${errorLine(err)}`);
      last = '';
    }
  };
  const done = run();
  const timer = setInterval(() => void run(), options.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer), done };
}
