// File mode: bootstrap tokens an operator hands to workloads, one per identity.
// The file is `token namespace serviceAccount` per line (# comments), or JSON:
// [{"token","namespace","serviceAccount"}] or {"<token>": {"namespace","serviceAccount"}}.
// Edits are picked up on the next call; a bad edit is logged and the last good set kept.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { CaError, errorMessage } from './errors.ts';
import { silentLogger } from './types.ts';
import type { AuthnResult, Authenticator, CaLogger, Credentials } from './types.ts';

export interface BootstrapToken {
  token: string;
  namespace: string;
  serviceAccount: string;
}

// Kubernetes names: a namespace is a DNS-1123 label, a service account a DNS-1123 subdomain.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function checkEntry(e: Partial<BootstrapToken>, where: string): BootstrapToken {
  if (typeof e.token !== 'string' || e.token.length === 0)
    throw new CaError('PETREL_CA_TOKEN_FILE', `${where}: token is missing`);
  if (typeof e.namespace !== 'string' || !NAMESPACE.test(e.namespace)) {
    throw new CaError(
      'PETREL_CA_TOKEN_FILE',
      `${where}: namespace ${JSON.stringify(e.namespace)} is not a Kubernetes namespace name`,
    );
  }
  if (typeof e.serviceAccount !== 'string' || !SERVICE_ACCOUNT.test(e.serviceAccount)) {
    throw new CaError(
      'PETREL_CA_TOKEN_FILE',
      `${where}: serviceAccount ${JSON.stringify(e.serviceAccount)} is not a service account name`,
    );
  }
  return { token: e.token, namespace: e.namespace, serviceAccount: e.serviceAccount };
}

export function parseBootstrapTokens(text: string, where: string): BootstrapToken[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw new CaError('PETREL_CA_TOKEN_FILE', `${where}: ${errorMessage(err)}`);
    }
    if (Array.isArray(json))
      return json.map((e, i) => checkEntry((e ?? {}) as Partial<BootstrapToken>, `${where}[${i}]`));
    // Entries are named by position, never by their token, so errors do not leak it.
    return Object.entries(json as Record<string, Partial<BootstrapToken>>).map(([token, e], i) =>
      checkEntry({ ...(e ?? {}), token }, `${where}: entry ${i + 1}`),
    );
  }
  const out: BootstrapToken[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 3)
      throw new CaError(
        'PETREL_CA_TOKEN_FILE',
        `${where}:${i + 1}: want "token namespace serviceAccount", got ${fields.length} field(s)`,
      );
    out.push(
      checkEntry(
        { token: fields[0], namespace: fields[1], serviceAccount: fields[2] },
        `${where}:${i + 1}`,
      ),
    );
  });
  return out;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class BootstrapTokenAuthenticator implements Authenticator {
  readonly name = 'bootstrap-token';
  // Keyed by the token's SHA-256 (hex), so the raw tokens are not kept around.
  #entries = new Map<string, { namespace: string; serviceAccount: string }>();
  readonly #file: string | undefined;
  readonly #log: CaLogger;
  #mtimeMs = -1;

  private constructor(file: string | undefined, log: CaLogger) {
    this.#file = file;
    this.#log = log;
  }

  static fromTokens(tokens: BootstrapToken[]): BootstrapTokenAuthenticator {
    const a = new BootstrapTokenAuthenticator(undefined, silentLogger);
    a.#set(tokens.map((t, i) => checkEntry(t, `tokens[${i}]`)));
    return a;
  }

  /** Reads the file now (a bad file is an error here), then re-reads it when it changes. */
  static fromFile(file: string, log: CaLogger = silentLogger): BootstrapTokenAuthenticator {
    const a = new BootstrapTokenAuthenticator(file, log);
    a.#reload(true);
    return a;
  }

  #set(tokens: BootstrapToken[]): void {
    this.#entries = new Map(
      tokens.map((t) => [
        digest(t.token),
        { namespace: t.namespace, serviceAccount: t.serviceAccount },
      ]),
    );
  }

  #reload(initial: boolean): void {
    const file = this.#file!;
    try {
      const mtimeMs = statSync(file).mtimeMs;
      if (mtimeMs === this.#mtimeMs) return;
      this.#set(parseBootstrapTokens(readFileSync(file, 'utf8'), file));
      this.#mtimeMs = mtimeMs;
    } catch (err) {
      const e =
        err instanceof CaError
          ? err
          : new CaError('PETREL_CA_TOKEN_FILE', `${file}: ${errorMessage(err)}`);
      if (initial) throw e;
      this.#log.error(`ca: ${e.message} (keeping the previous ${this.#entries.size} token(s))`);
    }
  }

  async authenticate(credentials: Credentials): Promise<AuthnResult> {
    if (!credentials.bearerToken) return { kind: 'skip' };
    if (this.#file) this.#reload(false);
    // Looking up the digest, not the token, leaves no timing signal about the token itself.
    const entry = this.#entries.get(digest(credentials.bearerToken));
    if (!entry) return { kind: 'fail', reason: 'bootstrap token: unknown token' };
    return {
      kind: 'ok',
      caller: { namespace: entry.namespace, serviceAccount: entry.serviceAccount, via: this.name },
    };
  }
}
