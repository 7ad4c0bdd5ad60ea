// The Secrets the data path holds (SDS), by name. The proxy gets them from two
// places merged into one set (sidecar/identity SecretMerge): its own workload
// identity (`default`, `ROOTCA`) and pilot over ADS (gateway credentials,
// `kubernetes://…`). A set is compiled whole and swapped in atomically, or
// rejected whole with the previous one kept. TLS contexts look secrets up by name
// whatever their sds_config says (pilot/translate/cluster/sds.ts explains why), and
// notice a new set by its version: certificates change for new handshakes only.
//
// Istio's agent also serves two kinds of names nobody pushes: `file-cert:CERT~KEY`
// and `file-root:PATH` (DestinationRule certificates given as file paths). Those
// are read from disk here, once per secret set. So are CRL files (crl.ts), each time
// a context is built under a new set, the last good copy kept when one goes bad.
import { readFileSync } from 'node:fs';
import { rereadCrlFile } from './crl.ts';
import { Issues, resourceLines } from '../config/issues.ts';
import { asString, isObj, type Obj } from '../config/values.ts';
import {
  compileCertificate,
  compileValidation,
  type CertificateMaterial,
  type ValidationMaterial,
} from './material.ts';

export type StoredSecret =
  | { kind: 'certificate'; cert: CertificateMaterial }
  | { kind: 'validation'; validation: ValidationMaterial }
  /** session_ticket_keys and generic_secret: accepted, referenced by nothing this proxy supports. */
  | { kind: 'other' };

const FILE_CERT = 'file-cert:';
const FILE_ROOT = 'file-root:';
/** The workload identity's secrets (sidecar/identity/secrets.ts). */
const IDENTITY_SECRETS = new Set(['default', 'ROOTCA']);

export interface SecretStoreOptions {
  /**
   * False when the proxy has no mesh CA and so will never hold `default`/`ROOTCA`:
   * transports that need them are unusable, and auto mTLS falls back to plaintext
   * (`petrel proxy` without --ca-address "runs plaintext").
   */
  workloadIdentity?: boolean;
}

export class SecretStore {
  readonly workloadIdentity: boolean;
  #secrets = new Map<string, StoredSecret>();
  #files = new Map<string, StoredSecret>();
  #version = 0;
  readonly #listeners = new Set<() => void>();
  /** The last good content of each CRL file read through crlFile. */
  readonly #crlFiles = new Map<string, Buffer[]>();
  readonly #crlWarned = new Set<string>();
  /**
   * Problems found outside a config update (a CRL file gone bad since), one line each,
   * once until the file is good again; the data plane forwards them as config warnings.
   */
  onWarning: ((line: string) => void) | undefined;

  constructor(options: SecretStoreOptions = {}) {
    this.workloadIdentity = options.workloadIdentity ?? true;
  }

  /** A secret that cannot arrive: the workload identity's, on a proxy without a CA. */
  willNeverHave(name: string): boolean {
    return !this.workloadIdentity && IDENTITY_SECRETS.has(name) && !this.#secrets.has(name);
  }

  /** Bumped on every accepted set: contexts built from an older version are rebuilt. */
  get version(): number {
    return this.#version;
  }

  names(): string[] {
    return [...this.#secrets.keys()];
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  apply(resources: ReadonlyMap<string, Obj>): string[] {
    const errors: string[] = [];
    const next = new Map<string, StoredSecret>();
    for (const [name, res] of resources) {
      const issues = new Issues();
      const declared = asString(res.name);
      if (declared !== undefined && declared !== '' && declared !== name)
        issues.add(`name "${declared}" does not match the resource name`, 'name');
      const secret = compileSecret(res, issues);
      errors.push(...resourceLines(name, issues.lines));
      if (secret) next.set(name, secret);
    }
    if (errors.length > 0) return errors;
    this.#secrets = next;
    this.#files = new Map();
    this.#version++;
    for (const l of this.#listeners) {
      try {
        l();
      } catch {
        // a listener reports its own failures; the set is applied
      }
    }
    return [];
  }

  /**
   * The CRLs of `file` for a context being built: read again (Envoy reads a CRL file
   * whenever an SDS update rebuilds its context); when the file cannot be used now,
   * the last good copy, else `compiled` (what its config was accepted with).
   */
  crlFile(file: string, compiled: Buffer[]): Buffer[] {
    const r = rereadCrlFile(file);
    if ('pems' in r) {
      this.#crlFiles.set(file, r.pems);
      this.#crlWarned.delete(file);
      return r.pems;
    }
    if (!this.#crlWarned.has(file)) {
      this.#crlWarned.add(file);
      this.onWarning?.(`crl: ${r.problem}; the last good CRLs stay in force`);
    }
    return this.#crlFiles.get(file) ?? compiled;
  }

  get(name: string): StoredSecret | undefined {
    return this.#secrets.get(name) ?? this.#fromFiles(name);
  }

  #fromFiles(name: string): StoredSecret | undefined {
    if (!name.startsWith(FILE_CERT) && !name.startsWith(FILE_ROOT)) return undefined;
    const cached = this.#files.get(name);
    if (cached) return cached;
    const issues = new Issues();
    let secret: StoredSecret | undefined;
    if (name.startsWith(FILE_ROOT)) {
      const path = name.slice(FILE_ROOT.length);
      secret =
        path === 'system'
          ? { kind: 'validation', validation: compileValidation({ system_root_certs: {} }, issues) }
          : fileValidation(path, issues);
    } else {
      const [cert, key] = name.slice(FILE_CERT.length).split('~');
      const c = compileCertificate(
        { certificate_chain: { filename: cert }, private_key: { filename: key } },
        issues,
      );
      if (c) secret = { kind: 'certificate', cert: c };
    }
    // A file that cannot be read now is tried again on the next handshake.
    if (secret && issues.count === 0) this.#files.set(name, secret);
    return issues.count === 0 ? secret : undefined;
  }
}

function fileValidation(path: string, issues: Issues): StoredSecret | undefined {
  try {
    readFileSync(path);
  } catch {
    issues.add(`cannot read ${path}`);
    return undefined;
  }
  return {
    kind: 'validation',
    validation: compileValidation({ trusted_ca: { filename: path } }, issues),
  };
}

function compileSecret(res: Obj, issues: Issues): StoredSecret | undefined {
  const kinds = ['tls_certificate', 'validation_context', 'session_ticket_keys', 'generic_secret'];
  const present = kinds.filter((k) => res[k] !== undefined);
  if (present.length !== 1) {
    issues.add(
      `a Secret needs exactly one of ${kinds.join(', ')} (got ${present.join(', ') || 'none'})`,
    );
    return undefined;
  }
  if (isObj(res.tls_certificate)) {
    const cert = compileCertificate(res.tls_certificate, issues.at('tls_certificate'));
    return cert ? { kind: 'certificate', cert } : undefined;
  }
  if (isObj(res.validation_context))
    return {
      kind: 'validation',
      validation: compileValidation(res.validation_context, issues.at('validation_context')),
    };
  return { kind: 'other' };
}
