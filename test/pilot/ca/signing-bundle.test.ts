import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { CaError } from '../../../pilot/ca/errors.ts';
import { csrWith, makeIntermediateCacerts, tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('petrel-cacerts-'));
  await makeIntermediateCacerts(dir);
});
afterEach(() => cleanup());

const caller = { namespace: 'bookinfo', serviceAccount: 'productpage' };

async function caError(p: Promise<unknown>): Promise<CaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CaError);
  return err as CaError;
}

describe('plugged-in CA (cacerts) with an intermediate', () => {
  it('returns leaf, intermediate, root in that order, each signed by the next', async () => {
    const ca = await MeshCa.create({ cacertsDir: dir });
    const chain = await ca.signCsr((await csrWith([])).csrPem, caller);
    expect(chain).toHaveLength(3);
    const [leaf, intermediate, root] = chain.map((pem) => new X509Certificate(pem));
    expect(intermediate!.fingerprint256).toBe(
      new X509Certificate(await readFile(path.join(dir, 'ca-cert.pem'))).fingerprint256,
    );
    expect(root!.fingerprint256).toBe(
      new X509Certificate(await readFile(path.join(dir, 'root-cert.pem'))).fingerprint256,
    );
    expect(leaf!.checkIssued(intermediate!) && leaf!.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate!.checkIssued(root!) && intermediate!.verify(root!.publicKey)).toBe(true);
    expect(ca.rootCertPem()).toBe(chain[2]);
  });

  it('serves a chain that OpenSSL verifies to the root in a real TLS handshake', async () => {
    const ca = await MeshCa.create({ cacertsDir: dir });
    const { csrPem, keyPem } = await csrWith([]);
    const chain = await ca.signCsr(csrPem, caller);
    const server = createServer({ key: keyPem, cert: chain.slice(0, -1).join('') }, (s) =>
      s.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const verified = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          ca: ca.rootCertPem(),
          checkServerIdentity: () => undefined,
        });
        socket.on('secureConnect', () => {
          resolve(socket.authorized);
          socket.destroy();
        });
        socket.on('error', reject);
      });
      expect(verified).toBe(true);
    } finally {
      server.close();
    }
  });

  it('signs with an RSA intermediate key in PKCS#1 form', async () => {
    const { dir: rsaDir, cleanup: c2 } = await tempDir('petrel-cacerts-');
    try {
      await makeIntermediateCacerts(rsaDir, 'rsa-pkcs1');
      expect(await readFile(path.join(rsaDir, 'ca-key.pem'), 'utf8')).toMatch(
        /BEGIN RSA PRIVATE KEY/,
      );
      const ca = await MeshCa.create({ cacertsDir: rsaDir });
      const [leaf, intermediate] = (await ca.signCsr((await csrWith([])).csrPem, caller)).map(
        (p) => new X509Certificate(p),
      );
      expect(leaf!.verify(intermediate!.publicKey)).toBe(true);
      expect(leaf!.subjectAltName).toBe('URI:spiffe://cluster.local/ns/bookinfo/sa/productpage');
    } finally {
      await c2();
    }
  });

  it('works without cert-chain.pem (the chain is then ca-cert alone)', async () => {
    await rm(path.join(dir, 'cert-chain.pem'));
    const ca = await MeshCa.create({ cacertsDir: dir });
    expect(await ca.signCsr((await csrWith([])).csrPem, caller)).toHaveLength(3);
  });

  it('names the missing file', async () => {
    await rm(path.join(dir, 'ca-key.pem'));
    const err = await caError(MeshCa.create({ cacertsDir: dir }));
    expect(err.code).toBe('PETREL_CA_CACERTS');
    expect(err.message).toContain(path.join(dir, 'ca-key.pem'));
  });

  it('refuses a key that does not belong to ca-cert.pem', async () => {
    await copyFile(path.join(dir, 'root-key.pem'), path.join(dir, 'ca-key.pem'));
    const err = await caError(MeshCa.create({ cacertsDir: dir }));
    expect(err.code).toBe('PETREL_CA_CACERTS');
    expect(err.message).toMatch(/ca-cert\.pem: the private key does not match/);
  });

  it('refuses a ca-cert that does not chain to root-cert.pem', async () => {
    const { dir: other, cleanup: c2 } = await tempDir('petrel-cacerts-');
    try {
      await makeIntermediateCacerts(other);
      await copyFile(path.join(other, 'root-cert.pem'), path.join(dir, 'root-cert.pem'));
      await rm(path.join(dir, 'cert-chain.pem'));
      const err = await caError(MeshCa.create({ cacertsDir: dir }));
      expect(err.code).toBe('PETREL_CA_CACERTS');
      expect(err.message).toMatch(/is not signed by root-cert\.pem/);
    } finally {
      await c2();
    }
  });

  it('refuses a file that holds no certificate', async () => {
    await writeFile(path.join(dir, 'root-cert.pem'), 'not a certificate\n');
    const err = await caError(MeshCa.create({ cacertsDir: dir }));
    expect(err.message).toMatch(/root-cert\.pem: no PEM certificate found/);
  });
});
