import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBootstrapTokens } from '../../../pilot/ca/authn-bootstrap-token.ts';
import { writeBootstrapTokens } from '../../../pilot/ca/bootstrap-token-file.ts';

describe('writeBootstrapTokens', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one owner-only token per identity that the CA reads back', () => {
    dir = mkdtempSync(join(tmpdir(), 'petrel-tokens-'));
    const file = join(dir, 'tokens');
    const tokens = writeBootstrapTokens(file, [
      ['default', 'web'],
      ['default', 'web'],
      ['shop', 'cart'],
    ]);
    expect(Object.keys(tokens).sort()).toEqual(['default/web', 'shop/cart']);
    expect(tokens['default/web']).not.toBe(tokens['shop/cart']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const read = parseBootstrapTokens(readFileSync(file, 'utf8'), file);
    expect(read).toEqual([
      { token: tokens['default/web'], namespace: 'default', serviceAccount: 'web' },
      { token: tokens['shop/cart'], namespace: 'shop', serviceAccount: 'cart' },
    ]);
  });
});
