import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishRootCertConfigMap, writeRootCertFile } from '../../../pilot/ca/root-publish.ts';
import { startCaServer } from '../../../pilot/ca/ca-server.ts';
import { CaError } from '../../../pilot/ca/errors.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';
import { tempDir } from './fixtures.ts';

describe('root certificate distribution', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('file mode: the CA server writes root-cert.pem beside its state', async () => {
    const server = await startCaServer({ stateDir: dir, port: 0, bootstrapTokens: [] });
    try {
      expect(await readFile(path.join(dir, 'root-cert.pem'), 'utf8')).toBe(server.rootCertPem());
    } finally {
      await server.stop();
    }
  });

  it('writeRootCertFile replaces a stale copy', async () => {
    await writeRootCertFile(dir, 'old\n');
    const file = await writeRootCertFile(dir, 'new\n');
    expect(await readFile(file, 'utf8')).toBe('new\n');
  });

  it('Kubernetes mode: istio-ca-root-cert is created, left alone when current, updated when the root changes', async () => {
    const api = await KubeApiServerDouble.start({ namespaces: ['default', 'bookinfo'] });
    try {
      const kc = api.kubeConfig();
      expect(await publishRootCertConfigMap(kc, 'bookinfo', 'root-1\n')).toBe('created');
      expect(await publishRootCertConfigMap(kc, 'bookinfo', 'root-1\n')).toBe('unchanged');
      expect(await publishRootCertConfigMap(kc, 'bookinfo', 'root-2\n')).toBe('updated');
      const cm = await kc
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: 'istio-ca-root-cert', namespace: 'bookinfo' });
      expect(cm.data).toEqual({ 'root-cert.pem': 'root-2\n' });
      const err = await publishRootCertConfigMap(kc, 'missing-ns', 'root-1\n').catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CaError);
      expect((err as CaError).message).toMatch(
        /^ConfigMap missing-ns\/istio-ca-root-cert: HTTP 404/,
      );
    } finally {
      await api.close();
    }
  });
});
