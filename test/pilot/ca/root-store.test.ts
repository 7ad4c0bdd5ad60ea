import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { CaError } from '../../../pilot/ca/errors.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';
import { csrWith, recordingLog, tempDir } from './fixtures.ts';

const caller = { namespace: 'default', serviceAccount: 'sleep' };

describe('self-signed root in file mode', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('is generated once, persisted, and reused after a restart', async () => {
    const first = await MeshCa.create({ stateDir: dir });
    const root = new X509Certificate(first.rootCertPem());
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    // Ten years, as Istio's self-signed root.
    expect(Date.parse(root.validTo) - Date.parse(root.validFrom)).toBeGreaterThan(
      9.9 * 365 * 86400e3,
    );
    expect(await readFile(path.join(dir, 'ca-cert.pem'), 'utf8')).toBe(first.rootCertPem());
    expect((await stat(path.join(dir, 'ca-key.pem'))).mode & 0o077).toBe(0);

    const log = recordingLog();
    const second = await MeshCa.create({ stateDir: dir, log });
    expect(second.rootCertPem()).toBe(first.rootCertPem());
    expect(log.lines.join('\n')).toMatch(/using the self-signed root from/);
    // A leaf from the restarted CA verifies against the root workloads already hold.
    const leaf = new X509Certificate(
      (await second.signCsr((await csrWith([])).csrPem, caller))[0]!,
    );
    expect(leaf.verify(root.publicKey)).toBe(true);
  });

  it('refuses a state dir holding a certificate without its key', async () => {
    const first = await MeshCa.create({ stateDir: dir });
    const { dir: other, cleanup: c2 } = await tempDir();
    try {
      await writeFile(path.join(other, 'ca-cert.pem'), first.rootCertPem());
      const err = await MeshCa.create({ stateDir: other }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CaError);
      expect((err as CaError).code).toBe('PETREL_CA_ROOT_STORE');
      expect((err as CaError).message).toContain('ca-key.pem');
    } finally {
      await c2();
    }
  });

  it('refuses a persisted key that does not match the persisted root', async () => {
    await MeshCa.create({ stateDir: dir });
    const { dir: other, cleanup: c2 } = await tempDir();
    try {
      await MeshCa.create({ stateDir: other });
      await writeFile(path.join(dir, 'ca-key.pem'), await readFile(path.join(other, 'ca-key.pem')));
      const err = (await MeshCa.create({ stateDir: dir }).catch((e: unknown) => e)) as CaError;
      expect(err.code).toBe('PETREL_CA_ROOT_STORE');
      expect(err.message).toMatch(/does not match/);
    } finally {
      await c2();
    }
  });
});

describe('self-signed root in Kubernetes mode', () => {
  let api: KubeApiServerDouble;
  beforeEach(async () => {
    api = await KubeApiServerDouble.start({
      namespaces: ['default', 'kube-system', 'istio-system'],
    });
  });
  afterEach(() => api.close());

  it('is stored in the Secret istio-system/istio-ca-secret and reused by the next pilot', async () => {
    const first = await MeshCa.create({ kube: api.kubeConfig() });
    const secret = await api
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'istio-ca-secret', namespace: 'istio-system' });
    expect(secret.type).toBe('istio.io/ca-root');
    expect(Buffer.from(secret.data!['ca-cert.pem']!, 'base64').toString()).toBe(
      first.rootCertPem(),
    );
    expect(Buffer.from(secret.data!['ca-key.pem']!, 'base64').toString()).toMatch(
      /BEGIN PRIVATE KEY/,
    );

    const second = await MeshCa.create({ kube: api.kubeConfig() });
    expect(second.rootCertPem()).toBe(first.rootCertPem());
    expect(api.requests.filter((r) => r.startsWith('POST') && r.includes('/secrets'))).toHaveLength(
      1,
    );
  });

  it('ends up with one root when two pilots start together', async () => {
    const [a, b] = await Promise.all([
      MeshCa.create({ kube: api.kubeConfig() }),
      MeshCa.create({ kube: api.kubeConfig() }),
    ]);
    expect(a.rootCertPem()).toBe(b.rootCertPem());
  });

  it('reports a missing namespace on one line', async () => {
    const err = (await MeshCa.create({ kube: api.kubeConfig(), caNamespace: 'nowhere' }).catch(
      (e: unknown) => e,
    )) as CaError;
    expect(err.code).toBe('PETREL_CA_ROOT_STORE');
    expect(err.message).toMatch(/^Secret nowhere\/istio-ca-secret: HTTP 404/);
    expect(err.message).not.toContain('\n');
  });
});
