// A serving certificate from files (a Kubernetes Secret mounted in the pod),
// reloaded when the files change: cert-manager and Istio's own rotation
// replace them in place. A bad new pair is reported and the last good one kept.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { InjectorError, errorLine } from './errors.ts';
import type { TlsPem } from './server.ts';

export interface TlsFiles {
  cert: string;
  key: string;
  /** The CA for caBundle; default the certificate file (its last certificate is then the trust anchor). */
  ca?: string;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InjectorError('PETREL_INJECT_TLS', `${what} ${path}: ${errorLine(err)}`);
  }
}

export function loadTlsFiles(files: TlsFiles): TlsPem {
  const certPem = read(files.cert, '--tls-cert');
  const keyPem = read(files.key, '--tls-key');
  const caPem = files.ca ? read(files.ca, '--ca-cert') : undefined;
  try {
    createSecureContext({ cert: certPem, key: keyPem }); // a key that does not match fails here, not at the first handshake
  } catch (err) {
    throw new InjectorError(
      'PETREL_INJECT_TLS',
      `--tls-cert ${files.cert} / --tls-key ${files.key}: ${errorLine(err)}`,
    );
  }
  return { certPem, keyPem, ...(caPem ? { caPem } : {}) };
}

/** Calls onChange with the new pair whenever a file changes and the pair loads; returns a stop function. */
export function watchTlsFiles(
  files: TlsFiles,
  onChange: (tls: TlsPem) => void,
  log: (line: string) => void,
  intervalMs = 2000,
): () => void {
  const paths = [files.cert, files.key, ...(files.ca ? [files.ca] : [])];
  const reload = () => {
    try {
      onChange(loadTlsFiles(files));
      log(`petrel injector: serving certificate reloaded from ${files.cert}`);
    } catch (err) {
      log(`petrel injector: ${errorLine(err)}; keeping the previous certificate`);
    }
  };
  // Polling, because a mounted Secret is updated by swapping a symlink, which fs.watch misses.
  for (const p of paths)
    watchFile(p, { interval: intervalMs, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) reload();
    });
  return () => {
    for (const p of paths) unwatchFile(p);
  };
}
