// The session ticket keys of a proxy's TLS servers. Envoy without configured
// session_ticket_keys lets BoringSSL make one key per server context and rotate it
// every two days. node would make a fresh key for every tls.Server, and a server
// is built again for each listener update as well as for each new secret set, so
// clients would lose their sessions on every config push. One key per proxy (per
// SecretStore) keeps tickets valid across those rebuilds; the session id context
// (downstream.ts) still keeps a ticket from resuming under another certificate or
// trust configuration.
import { randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.ts';

/** BoringSSL's SSL_DEFAULT_TICKET_KEY_ROTATION_INTERVAL. */
const ROTATE_MS = 2 * 24 * 3600 * 1000;

export interface TicketKeys {
  /** node's 48-byte form: key name, HMAC secret, AES key (16 bytes each). */
  keys: Buffer;
  /** Bumped at each rotation, so servers know to take the new key. */
  generation: number;
}

interface Held extends TicketKeys {
  madeAt: number;
}

const held = new WeakMap<SecretStore, Held>();

/** The proxy's current ticket key, rotated once it is older than two days. */
export function ticketKeys(store: SecretStore, now = Date.now()): TicketKeys {
  let k = held.get(store);
  if (!k || now - k.madeAt >= ROTATE_MS) {
    k = { keys: randomBytes(48), generation: (k?.generation ?? 0) + 1, madeAt: now };
    held.set(store, k);
  }
  return k;
}
