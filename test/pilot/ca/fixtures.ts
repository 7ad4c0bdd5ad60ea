// Shared by the CA tests: temp dirs, CSRs for chosen SANs, a recording logger,
// and a plugged-in CA (root → intermediate) made with the openssl CLI, so the
// CA is also tested against certificates it did not write itself.
import { execFileSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadCaPackage } from '../../../api/istio/ca/loader.ts';
import type { IstioCertificateResponse } from '../../../api/istio/ca/loader.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ECDSA_P256,
  generateP256KeyPair,
  privateKeyPem,
  x509,
} from '../../../api/istio/ca/x509.ts';
import type { CaLogger } from '../../../pilot/ca/types.ts';

export async function tempDir(
  prefix = 'petrel-ca-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function csrWith(
  sans: x509.JsonGeneralName[],
): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return { csrPem: csr.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

export const csrFor = (uri: string): Promise<{ csrPem: string; keyPem: string }> =>
  csrWith([{ type: 'url', value: uri }]);

export interface RecordingLog extends CaLogger {
  lines: string[];
}

export function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/**
 * Istio's cacerts layout for an intermediate CA, made the way Istio's docs make
 * it (RSA root, intermediate signed by it): ca-cert.pem, ca-key.pem,
 * root-cert.pem and cert-chain.pem (intermediate + root, as Istio's samples).
 */
export async function makeIntermediateCacerts(
  dir: string,
  keyType: 'ec' | 'rsa-pkcs1' = 'ec',
): Promise<void> {
  await writeFile(
    path.join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root-key.pem',
    '-out',
    'root-cert.pem',
    '-days',
    '30',
    '-subj',
    '/O=Istio/CN=Root CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const newkey =
    keyType === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  openssl(
    dir,
    'req',
    ...newkey,
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.csr',
    '-subj',
    '/O=Istio/CN=Intermediate CA/L=cluster1',
  );
  // Istio's docs' keys are often "BEGIN RSA PRIVATE KEY" (PKCS#1).
  if (keyType === 'rsa-pkcs1')
    openssl(dir, 'rsa', '-in', 'ca-key.pem', '-out', 'ca-key.pem', '-traditional');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'ca.csr',
    '-CA',
    'root-cert.pem',
    '-CAkey',
    'root-key.pem',
    '-CAcreateserial',
    '-out',
    'ca-cert.pem',
    '-days',
    '20',
    '-extfile',
    'ca.ext',
  );
  execFileSync('sh', ['-c', 'cat ca-cert.pem root-cert.pem > cert-chain.pem'], { cwd: dir });
}

// A CreateCertificate caller built straight on the loader, as any Istio agent would call.

export interface CallOptions {
  port: number;
  rootPem: string;
  token?: string;
  clientCert?: { certChainPem: string; keyPem: string };
  serverName?: string;
  validity?: number;
}

export async function callCreateCertificate(o: CallOptions, csrPem: string): Promise<string[]> {
  const { IstioCertificateService } = loadCaPackage();
  const creds = grpc.credentials.createSsl(
    Buffer.from(o.rootPem),
    o.clientCert ? Buffer.from(o.clientCert.keyPem) : null,
    o.clientCert ? Buffer.from(o.clientCert.certChainPem) : null,
  );
  const client = new IstioCertificateService(
    `127.0.0.1:${o.port}`,
    creds,
    o.serverName ? { 'grpc.ssl_target_name_override': o.serverName } : {},
  );
  const md = new grpc.Metadata();
  if (o.token) md.set('authorization', `Bearer ${o.token}`);
  try {
    return await new Promise<string[]>((resolve, reject) =>
      (client as unknown as { CreateCertificate: Function }).CreateCertificate(
        { csr: csrPem, validity_duration: o.validity ?? 0 },
        md,
        { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null, res: IstioCertificateResponse) =>
          err ? reject(err) : resolve(res.cert_chain),
      ),
    );
  } finally {
    client.close();
  }
}

export async function grpcFailure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected the call to fail');
  return err as grpc.ServiceError;
}
