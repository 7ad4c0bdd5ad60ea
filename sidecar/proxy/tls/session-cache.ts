// Client TLS sessions kept for resumption (Envoy's max_session_keys on an
// UpstreamTlsContext): a resumed handshake skips both certificate signatures, both
// chain verifications and the key exchange, which is most of what a new mTLS
// connection between two sidecars costs.
//
// Envoy keeps the last N sessions of a context and offers the newest to any host;
// a session only resumes at the server that issued it (each sidecar has its own
// ticket keys), so here the newest session is kept per context key, SNI and host,
// and a context's max_session_keys 0 turns resumption off. Sessions made under one
// secret set are never offered under another: the whole cache is dropped when the
// SecretStore's version changes (a new root or a rotated certificate), so a
// resumed connection always stands for the trust configuration of a full one.
//
// node does not give the server's certificate back on a resumed client session
// (getPeerX509Certificate() is undefined there), so each entry keeps what the full
// handshake verified about the server; the identity checks run on it again at
// every resumption.
import type { PeerFacts } from './peer-certificate.ts';
import type { SecretStore } from './secret-store.ts';

export interface CachedSession {
  session: Buffer;
  /** The server's leaf certificate as verified in the full handshake that made the session. */
  peer: PeerFacts;
}

/** Upper bound of sessions one proxy keeps (the oldest go first). */
const MAX_SESSIONS = 4096;

export class ClientSessionCache {
  readonly #store: SecretStore;
  #version: number;
  readonly #entries = new Map<string, CachedSession>();

  constructor(store: SecretStore) {
    this.#store = store;
    this.#version = store.version;
  }

  /** The session to offer for `key`, unless its server certificate has expired since. */
  get(key: string, now = Date.now()): CachedSession | undefined {
    this.#sync();
    const e = this.#entries.get(key);
    if (e && e.peer.notAfterMs <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Keeps the session of a connection started under secret set `version`: one that
   * began before a new set arrived is dropped, it was verified under the old one.
   */
  set(key: string, entry: CachedSession, version: number): void {
    this.#sync();
    if (version !== this.#version) return;
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_SESSIONS)
      this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    this.#sync();
    return this.#entries.size;
  }

  #sync(): void {
    if (this.#version === this.#store.version) return;
    this.#entries.clear();
    this.#version = this.#store.version;
  }
}

const caches = new WeakMap<SecretStore, ClientSessionCache>();

/** The proxy's session cache: one per SecretStore, shared by every cluster's TLS contexts. */
export function clientSessions(store: SecretStore): ClientSessionCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new ClientSessionCache(store)));
  return c;
}
