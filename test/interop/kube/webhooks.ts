// Points the chart's webhook configurations at an injector on loopback. The chart
// names the `istiod` Service, whose ClusterIP nothing routes on this machine, so
// the test swaps each webhook's clientConfig for `url: https://127.0.0.1:PORT/<path>`
// (the path the chart gave it); the real API server then calls that URL from its
// admission chain. caBundle is left to the product (patchWebhookCaBundles).
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { WebhookConfigNames } from '../../../injector/webhook-config.ts';

interface ClientConfig {
  url?: string;
  service?: { path?: string };
  caBundle?: string;
}
interface WebhookList {
  webhooks?: Array<{ name: string; clientConfig: ClientConfig }>;
}

/** JSON patch replacing every webhook's service reference by `baseUrl` + its path; guarded by name tests. */
function toUrlPatch(config: WebhookList, baseUrl: string): object[] {
  return (config.webhooks ?? []).flatMap((w, i) => {
    const path = w.clientConfig.service?.path ?? new URL(w.clientConfig.url ?? baseUrl).pathname;
    const clientConfig: ClientConfig = { url: `${baseUrl}${path}` };
    if (w.clientConfig.caBundle) clientConfig.caBundle = w.clientConfig.caBundle;
    return [
      { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
      { op: 'replace', path: `/webhooks/${i}/clientConfig`, value: clientConfig },
    ];
  });
}

/** Repoints both configurations; returns the URLs they now call. */
export async function pointWebhooksAt(
  kc: KubeConfig,
  baseUrl: string,
  names: WebhookConfigNames,
): Promise<string[]> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const mutating = (await api.readMutatingWebhookConfiguration({
    name: names.mutating,
  })) as WebhookList;
  const m = (await api.patchMutatingWebhookConfiguration({
    name: names.mutating,
    body: toUrlPatch(mutating, baseUrl),
  })) as WebhookList;
  const validating = (await api.readValidatingWebhookConfiguration({
    name: names.validating,
  })) as WebhookList;
  const v = (await api.patchValidatingWebhookConfiguration({
    name: names.validating,
    body: toUrlPatch(validating, baseUrl),
  })) as WebhookList;
  return [...(m.webhooks ?? []), ...(v.webhooks ?? [])].map((w) => w.clientConfig.url ?? '');
}
