// Envoy's post-processing of /config_dump output: redacting secrets, and the
// ?mask= FieldMask that keeps only the named fields.

type Json = Record<string, unknown>;

const REDACTED = '[redacted]';

/** Envoy redacts TLS private keys and passwords before dumping; so does Petrel (on a copy). */
export function redact(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Json;
  if (key === 'private_key' || key === 'password') {
    const out: Json = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'inline_bytes') out[k] = Buffer.from(REDACTED).toString('base64');
      else if (k === 'inline_string') out[k] = REDACTED;
      else out[k] = v;
    }
    return out;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) out[k] = redact(v, k);
  return out;
}

/** Keeps only the fields named by FieldMask paths (`a.b`); '@type' always stays. */
export function applyMask(obj: Json, paths: readonly string[]): Json {
  const out: Json = {};
  if (typeof obj['@type'] === 'string') out['@type'] = obj['@type'];
  for (const path of paths) {
    const parts = path.split('.');
    let src: unknown = obj;
    for (const p of parts)
      src = typeof src === 'object' && src !== null ? (src as Json)[p] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const p of parts.slice(0, -1)) dst = (dst[p] ??= {}) as Json;
    dst[parts.at(-1)!] = src;
  }
  return out;
}
