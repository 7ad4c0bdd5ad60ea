// A certificate authority run by the openssl CLI in a temp dir (`openssl ca`), for
// tests that need what the mesh CA does not make: revoked certificates and real
// CRLs (`openssl ca -revoke`, `openssl ca -gencrl`), and intermediate CAs.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslCert {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  /** The issuing CA's chain above this certificate (intermediates), PEM; '' under the root. */
  chainPem: string;
}

export interface OpensslCa {
  /** The root certificate, PEM, and its file. */
  rootPem: string;
  rootFile: string;
  dir: string;
  /** A leaf for `localhost` (DNS SAN), usable as server and client certificate. */
  issue(name: string): OpensslCert;
  /** An intermediate CA signed by this one. */
  intermediate(name: string): OpensslCa;
  revoke(cert: OpensslCert): void;
  /** A CRL of this CA as of now (PEM), listing what it revoked. */
  crl(): string;
  close(): void;
}

const CONFIG = `[ca]
default_ca = ca_default
[ca_default]
dir = .
database = ./index.txt
serial = ./serial
crlnumber = ./crlnumber
new_certs_dir = ./issued
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any_name
copy_extensions = copy
unique_subject = no
[any_name]
commonName = supplied
[ca_cert]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `openssl ca` acting as the CA in `dir`. */
function ca(dir: string, args: string[]): void {
  openssl(dir, ['ca', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', ...args]);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A new P-256 key (`base`.key) and a CSR for it (`base`.csr) with CN `cn`. */
function keyAndCsr(dir: string, base: string, cn: string): void {
  openssl(dir, [
    'req',
    ...EC_KEY,
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${cn}`,
  ]);
}

function caDir(dir: string): void {
  mkdirSync(join(dir, 'issued'), { recursive: true });
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  // Distinct serials per CA (an even number of hex digits, as openssl wants).
  writeFileSync(join(dir, 'serial'), `${randomBytes(8).toString('hex')}\n`);
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
}

function authority(dir: string, rootFile: string, chainPem: string): OpensslCa {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const sign = (base: string, extensions: string) =>
    ca(dir, [
      '-batch',
      '-in',
      `${base}.csr`,
      '-out',
      `${base}.pem`,
      '-extensions',
      extensions,
      '-notext',
    ]);
  return {
    rootPem: readFileSync(rootFile, 'utf8'),
    rootFile,
    dir,
    issue(name) {
      keyAndCsr(dir, name, name);
      sign(name, 'leaf');
      // The leaf file carries its intermediates, as a server presents them.
      writeFileSync(join(dir, `${name}.pem`), read(`${name}.pem`) + chainPem);
      return {
        certPem: read(`${name}.pem`),
        keyPem: read(`${name}.key`),
        certFile: join(dir, `${name}.pem`),
        keyFile: join(dir, `${name}.key`),
        chainPem,
      };
    },
    intermediate(name) {
      const sub = join(dir, name);
      caDir(sub);
      keyAndCsr(dir, `${name}/ca`, name);
      sign(`${name}/ca`, 'ca_cert');
      return authority(sub, rootFile, readFileSync(join(sub, 'ca.pem'), 'utf8') + chainPem);
    },
    revoke: (cert) => ca(dir, ['-revoke', cert.certFile]),
    crl() {
      ca(dir, ['-gencrl', '-out', 'ca.crl']);
      return read('ca.crl');
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new root CA (EC P-256) in a temp dir of its own. */
export function opensslCa(): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-openssl-ca-'));
  caDir(dir);
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=petrel test root',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return authority(dir, join(dir, 'ca.pem'), '');
}
