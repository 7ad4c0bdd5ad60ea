// Root certificate distribution. Workloads need the mesh root before they can
// dial 15012: Istio publishes it as the ConfigMap istio-ca-root-cert (key
// root-cert.pem) in every namespace; in file mode pilot writes root-cert.pem
// beside its state, where a local proxy can read it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { CaError, errorMessage } from './errors.ts';
import { kubeMessage } from '../config/kube-client.ts';

export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_KEY = 'root-cert.pem';

/** Writes <dir>/root-cert.pem (atomically) unless it already holds `pem`; returns the path. */
export async function writeRootCertFile(dir: string, pem: string): Promise<string> {
  const file = path.join(dir, ROOT_CERT_KEY);
  try {
    if ((await readFile(file, 'utf8').catch(() => undefined)) === pem) return file;
    await mkdir(dir, { recursive: true });
    await writeFile(`${file}.tmp`, pem, { mode: 0o644 });
    await rename(`${file}.tmp`, file);
    return file;
  } catch (err) {
    throw new CaError('PETREL_CA_ROOT_STORE', `${file}: ${errorMessage(err)}`);
  }
}

/** Creates or updates istio-ca-root-cert in one namespace. */
export async function publishRootCertConfigMap(
  kc: KubeConfig,
  namespace: string,
  pem: string,
): Promise<'created' | 'updated' | 'unchanged'> {
  const api = kc.makeApiClient(CoreV1Api);
  const where = `ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}`;
  // Two tries: a concurrent writer (another pilot) makes the first one conflict.
  for (let attempt = 0; ; attempt++) {
    try {
      let existing: V1ConfigMap | undefined;
      try {
        existing = await api.readNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace });
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      }
      if (!existing) {
        await api.createNamespacedConfigMap({
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: ROOT_CERT_CONFIGMAP, namespace },
            data: { [ROOT_CERT_KEY]: pem },
          },
        });
        return 'created';
      }
      if (existing.data?.[ROOT_CERT_KEY] === pem) return 'unchanged';
      await api.replaceNamespacedConfigMap({
        name: ROOT_CERT_CONFIGMAP,
        namespace,
        body: { ...existing, data: { ...existing.data, [ROOT_CERT_KEY]: pem } },
      });
      return 'updated';
    } catch (err) {
      if (attempt === 0 && err instanceof ApiException && err.code === 409) continue;
      throw new CaError('PETREL_CA_ROOT_STORE', `${where}: ${kubeMessage(err)}`);
    }
  }
}
