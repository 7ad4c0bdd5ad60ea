// The workload a pod belongs to and its canonical service, derived the way
// Istio does (GetDeployMetaFromPod, canonical service labels), because the
// proxy reports them in ISTIO_META_WORKLOAD_NAME / ISTIO_META_OWNER and the
// istio_* metrics are labelled with them.
import { LABEL } from './names.ts';
import type { Pod } from './pod-types.ts';

export interface Workload {
  name: string;
  kind: string;
  apiVersion: string;
}

/** Deployment → ReplicaSet `<deployment>-<pod-template-hash>`; CronJob → Job `<cronjob>-<digits>`. */
export function workloadOf(pod: Pod): Workload {
  const meta = pod.metadata;
  const controller =
    (meta.ownerReferences ?? []).find((o) => o.controller) ?? meta.ownerReferences?.[0];
  if (controller) {
    const hash = meta.labels?.['pod-template-hash'];
    if (controller.kind === 'ReplicaSet' && hash && controller.name.endsWith(`-${hash}`)) {
      return {
        name: controller.name.slice(0, -hash.length - 1),
        kind: 'Deployment',
        apiVersion: 'apps/v1',
      };
    }
    const cron = /^(.+)-\d+$/.exec(controller.name);
    if (controller.kind === 'Job' && cron)
      return { name: cron[1]!, kind: 'CronJob', apiVersion: 'batch/v1' };
    return { name: controller.name, kind: controller.kind, apiVersion: controller.apiVersion };
  }
  const name = meta.name || (meta.generateName ?? '').replace(/-+$/, '') || 'unknown';
  return { name, kind: 'Pod', apiVersion: 'v1' };
}

/** `kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1`, Istio's owner URI. */
export function ownerUri(w: Workload, namespace: string): string {
  return `kubernetes://apis/${w.apiVersion}/namespaces/${namespace}/${w.kind.toLowerCase()}s/${w.name}`;
}

export function canonicalName(pod: Pod, workload: Workload): string {
  const l = pod.metadata.labels ?? {};
  return l[LABEL.canonicalName] || l['app.kubernetes.io/name'] || l.app || workload.name;
}

export function canonicalRevision(pod: Pod): string {
  const l = pod.metadata.labels ?? {};
  return l[LABEL.canonicalRevision] || l['app.kubernetes.io/version'] || l.version || 'latest';
}
