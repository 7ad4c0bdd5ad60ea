import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BootstrapTokenAuthenticator,
  parseBootstrapTokens,
} from '../../../pilot/ca/authn-bootstrap-token.ts';
import { CaError } from '../../../pilot/ca/errors.ts';
import { recordingLog, tempDir } from './fixtures.ts';

const creds = (bearerToken?: string) => ({ bearerToken, peer: 'ipv4:127.0.0.1:5000' });

describe('bootstrap token file format', () => {
  it('reads `token namespace serviceAccount` lines with comments and blank lines', () => {
    expect(
      parseBootstrapTokens(
        '# tokens\n\ntok1 default sleep  # the sleep app\ntok2\tbookinfo\treviews-v2\n',
        'f',
      ),
    ).toEqual([
      { token: 'tok1', namespace: 'default', serviceAccount: 'sleep' },
      { token: 'tok2', namespace: 'bookinfo', serviceAccount: 'reviews-v2' },
    ]);
  });

  it('reads JSON, as a list or as a map keyed by token', () => {
    expect(
      parseBootstrapTokens('[{"token":"t","namespace":"a","serviceAccount":"x"}]', 'f'),
    ).toEqual([{ token: 't', namespace: 'a', serviceAccount: 'x' }]);
    expect(parseBootstrapTokens('{"t": {"namespace":"a","serviceAccount":"x"}}', 'f')).toEqual([
      { token: 't', namespace: 'a', serviceAccount: 'x' },
    ]);
  });

  it('names the file and line of a bad entry, without echoing tokens', () => {
    const at = (text: string): CaError => {
      try {
        parseBootstrapTokens(text, '/etc/petrel/tokens');
      } catch (err) {
        return err as CaError;
      }
      throw new Error('expected an error');
    };
    expect(at('ok default sleep\nsecret123 default').message).toBe(
      '/etc/petrel/tokens:2: want "token namespace serviceAccount", got 2 field(s)',
    );
    expect(at('secret123 Default sleep').message).toMatch(
      /^\/etc\/petrel\/tokens:1: namespace "Default" is not a Kubernetes namespace name$/,
    );
    expect(at('{"secret123": {"namespace":"a"}}').message).not.toContain('secret123');
    expect(at('[{"token": 1').code).toBe('PETREL_CA_TOKEN_FILE');
  });
});

describe('BootstrapTokenAuthenticator', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('maps a known token to its identity and refuses others', async () => {
    const a = BootstrapTokenAuthenticator.fromTokens([
      { token: 'tok', namespace: 'a', serviceAccount: 'x' },
    ]);
    expect(await a.authenticate(creds('tok'))).toEqual({
      kind: 'ok',
      caller: { namespace: 'a', serviceAccount: 'x', via: 'bootstrap-token' },
    });
    expect(await a.authenticate(creds('other'))).toEqual({
      kind: 'fail',
      reason: 'bootstrap token: unknown token',
    });
    expect(await a.authenticate(creds())).toEqual({ kind: 'skip' });
  });

  it('picks up edits to the file and keeps the last good set after a bad edit', async () => {
    const file = path.join(dir, 'tokens');
    await writeFile(file, 'tok1 a x\n');
    const log = recordingLog();
    const a = BootstrapTokenAuthenticator.fromFile(file, log);
    expect((await a.authenticate(creds('tok1'))).kind).toBe('ok');

    await writeFile(file, 'tok2 b y\n');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect(await a.authenticate(creds('tok2'))).toMatchObject({
      kind: 'ok',
      caller: { namespace: 'b', serviceAccount: 'y' },
    });
    expect((await a.authenticate(creds('tok1'))).kind).toBe('fail');

    await writeFile(file, 'tok3 b\n');
    await utimes(file, new Date(), new Date(Date.now() + 10_000));
    expect((await a.authenticate(creds('tok2'))).kind).toBe('ok');
    expect(log.lines).toEqual([
      `error ca: ${file}:1: want "token namespace serviceAccount", got 2 field(s) (keeping the previous 1 token(s))`,
    ]);
  });

  it('fails at start on a missing or bad file, naming it', async () => {
    const codeOf = (file: string): string | undefined => {
      try {
        BootstrapTokenAuthenticator.fromFile(file);
      } catch (err) {
        expect((err as Error).message).toContain(file);
        return (err as CaError).code;
      }
      return undefined;
    };
    expect(codeOf(path.join(dir, 'missing'))).toBe('PETREL_CA_TOKEN_FILE');
    await writeFile(path.join(dir, 'bad'), 'tok only-two\n');
    expect(codeOf(path.join(dir, 'bad'))).toBe('PETREL_CA_TOKEN_FILE');
  });
});
