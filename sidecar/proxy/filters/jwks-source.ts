// Where a JWT provider's keys come from: inline (local_jwks) or fetched from a URI
// (remote_jwks) and cached, both through jose's JWKS key selectors. Envoy fetches
// remote_jwks through the cluster http_uri names; Petrel's proxy fetches the URI
// itself, as istiod does for Istio's default JWKS mode. A remote set is shared by
// every config that names the same URI, so a listener update does not refetch.
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose';
import type { Issues } from '../config/issues.ts';
import { asObj, asString, bytesValue, durationMs } from '../config/values.ts';

export type KeySelector =
  ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

/** Envoy's remote_jwks cache_duration default: 10 minutes. */
const DEFAULT_CACHE_MS = 600_000;
const DEFAULT_TIMEOUT_MS = 1000;
/** How soon an unknown kid may trigger another fetch (key rotation). */
const COOLDOWN_MS = 30_000;

const remoteSets = new Map<string, KeySelector>();

function localSet(text: string, issues: Issues, field: string): KeySelector | undefined {
  try {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    return createLocalJWKSet(jwks);
  } catch (err) {
    issues.add(`not a JSON Web Key Set: ${(err as Error).message}`, field);
    return undefined;
  }
}

/** The key selector of a JwtProvider (local_jwks or remote_jwks), or undefined with an issue. */
export function compileJwksSource(
  provider: Record<string, unknown>,
  issues: Issues,
): KeySelector | undefined {
  const local = asObj(provider.local_jwks);
  if (local) {
    if (typeof local.inline_string === 'string')
      return localSet(local.inline_string, issues, 'local_jwks.inline_string');
    const bytes = bytesValue(local.inline_bytes);
    if (bytes) return localSet(bytes.toString('utf8'), issues, 'local_jwks.inline_bytes');
    const file = asString(local.filename);
    if (file) {
      try {
        return localSet(readFileSync(file, 'utf8'), issues, 'local_jwks.filename');
      } catch (err) {
        issues.add(`cannot read ${file}: ${(err as Error).message}`, 'local_jwks.filename');
        return undefined;
      }
    }
    issues.add('needs inline_string, inline_bytes or filename', 'local_jwks');
    return undefined;
  }
  const remote = asObj(provider.remote_jwks);
  if (remote) {
    const httpUri = asObj(remote.http_uri);
    const uri = asString(httpUri?.uri);
    let url: URL;
    try {
      url = new URL(uri ?? '');
    } catch {
      issues.add(`invalid uri ${JSON.stringify(uri)}`, 'remote_jwks.http_uri.uri');
      return undefined;
    }
    const timeout =
      durationMs(httpUri?.timeout, issues, 'remote_jwks.http_uri.timeout') ?? DEFAULT_TIMEOUT_MS;
    const cache =
      durationMs(remote.cache_duration, issues, 'remote_jwks.cache_duration') ?? DEFAULT_CACHE_MS;
    const key = `${url.href}|${timeout}|${cache}`;
    let set = remoteSets.get(key);
    if (!set) {
      set = createRemoteJWKSet(url, {
        timeoutDuration: timeout,
        cacheMaxAge: cache,
        cooldownDuration: Math.min(COOLDOWN_MS, cache),
      });
      remoteSets.set(key, set);
    }
    return set;
  }
  issues.add('needs local_jwks or remote_jwks');
  return undefined;
}
