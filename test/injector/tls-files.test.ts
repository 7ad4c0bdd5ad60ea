// Serving certificates from files: loaded with errors that name the file, and
// reloaded in place when the files change (a rotated Secret).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InjectorError } from '../../injector/errors.ts';
import type { TlsPem } from '../../injector/server.ts';
import { generateServingCertificate } from '../../injector/serving-cert.ts';
import { loadTlsFiles, watchTlsFiles } from '../../injector/tls-files.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-injector-tls-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function writePair(): Promise<{
  cert: string;
  key: string;
  pem: Awaited<ReturnType<typeof generateServingCertificate>>;
}> {
  const pem = await generateServingCertificate({ dnsNames: ['istiod.istio-system.svc'] });
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  writeFileSync(cert, pem.certPem);
  writeFileSync(key, pem.keyPem);
  return { cert, key, pem };
}

describe('TLS files', () => {
  it('loads a matching pair; the CA defaults to the certificate file', async () => {
    const { cert, key, pem } = await writePair();
    expect(loadTlsFiles({ cert, key })).toEqual({ certPem: pem.certPem, keyPem: pem.keyPem });
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, pem.caPem);
    expect(loadTlsFiles({ cert, key, ca }).caPem).toBe(pem.caPem);
  });

  it('names the missing file, and a key that does not match', async () => {
    const { cert, key } = await writePair();
    expect(() => loadTlsFiles({ cert: join(dir, 'nope.crt'), key })).toThrow(
      new RegExp(`^--tls-cert ${join(dir, 'nope.crt')}: ENOENT`),
    );
    const other = await generateServingCertificate({ dnsNames: ['x'] });
    writeFileSync(key, other.keyPem);
    let err: unknown;
    try {
      loadTlsFiles({ cert, key });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InjectorError);
    expect((err as InjectorError).code).toBe('PETREL_INJECT_TLS');
    expect((err as InjectorError).message).toMatch(
      /^--tls-cert .*tls\.crt \/ --tls-key .*tls\.key: .*key values mismatch/,
    );
  });

  it('reloads a rotated pair, and keeps the last good one when the new files are bad', async () => {
    const { cert, key } = await writePair();
    const lines: string[] = [];
    const changes: TlsPem[] = [];
    let wake: () => void = () => {};
    // Resolves once `done()` holds, re-checked after every log line the watcher writes.
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise<void>((resolve) => (wake = resolve));
    };
    const stop = watchTlsFiles(
      { cert, key },
      (tls) => changes.push(tls),
      (line) => {
        lines.push(line);
        wake();
      },
      20,
    );
    try {
      const next = await generateServingCertificate({ dnsNames: ['istiod.istio-system.svc'] });
      writeFileSync(key, next.keyPem);
      writeFileSync(cert, next.certPem);
      await until(() =>
        changes.some((c) => c.certPem === next.certPem && c.keyPem === next.keyPem),
      );
      writeFileSync(cert, 'garbage');
      await until(() => lines.some((l) => l.includes('; keeping the previous certificate')));
      expect(changes.every((c) => c.certPem !== 'garbage')).toBe(true);
    } finally {
      stop();
    }
  });
});
