// Writes the file-mode bootstrap token file (the `token namespace serviceAccount`
// lines authn-bootstrap-token.ts reads) with a fresh random token per identity:
// what `petrel local` and the proxy bench hand to pilot and to each proxy.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/**
 * One token per `[namespace, serviceAccount]` (duplicates share one), written to
 * `file` readable by its owner only. Returns the tokens by `namespace/serviceAccount`.
 */
export function writeBootstrapTokens(
  file: string,
  identities: Iterable<readonly [string, string]>,
): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const [ns, sa] of identities) tokens[`${ns}/${sa}`] ??= randomBytes(16).toString('hex');
  writeFileSync(
    file,
    Object.entries(tokens)
      .map(([id, token]) => `${token} ${id.replace('/', ' ')}\n`)
      .join(''),
    { mode: 0o600 },
  );
  return tokens;
}
