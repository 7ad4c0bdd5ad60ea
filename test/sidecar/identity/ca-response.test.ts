import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { materialFromChain } from '../../../sidecar/identity/ca-response.ts';
import { IdentityError } from '../../../sidecar/identity/errors.ts';
import { createKeyAndCsr } from '../../../sidecar/identity/key-csr.ts';

const SLEEP = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'sleep' };
const SLEEP_URI = 'spiffe://cluster.local/ns/default/sa/sleep';

let dir: string;
let ca: MeshCa;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'petrel-identity-'));
  ca = await MeshCa.create({ stateDir: dir });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): IdentityError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IdentityError);
    return err as IdentityError;
  }
  throw new Error('expected a refusal');
}

describe('checking the CA response', () => {
  it('takes leaf and intermediates as the chain and the last entry as the root', async () => {
    const key = await createKeyAndCsr(SLEEP);
    const chain = await ca.signCsr(key.csrPem, SLEEP);
    const m = materialFromChain(chain, key, SLEEP_URI, 'unused');
    expect(m.certChainPem).toBe(chain[0]);
    expect(m.rootPem).toBe(ca.rootCertPem());
    expect(m.notAfter.getTime() - m.notBefore.getTime()).toBe(24 * 3600 * 1000);
  });

  it('falls back to the configured root when the CA sends the leaf alone', async () => {
    const key = await createKeyAndCsr(SLEEP);
    const chain = await ca.signCsr(key.csrPem, SLEEP);
    expect(materialFromChain(chain.slice(0, 1), key, SLEEP_URI, 'configured-root').rootPem).toBe(
      'configured-root',
    );
  });

  it('refuses a certificate for another identity', async () => {
    const key = await createKeyAndCsr({ ...SLEEP, serviceAccount: 'other' });
    const chain = await ca.signCsr(key.csrPem, { namespace: 'default', serviceAccount: 'other' });
    const err = refusal(() => materialFromChain(chain, key, SLEEP_URI, ''));
    expect(err.code).toBe('PETREL_IDENTITY_BAD_RESPONSE');
    expect(err.message).toMatch(/is for spiffe:\/\/cluster.local\/ns\/default\/sa\/other, not/);
  });

  it('refuses a certificate for another key', async () => {
    const mine = await createKeyAndCsr(SLEEP);
    const theirs = await createKeyAndCsr(SLEEP);
    const chain = await ca.signCsr(theirs.csrPem, SLEEP);
    expect(refusal(() => materialFromChain(chain, mine, SLEEP_URI, '')).message).toMatch(
      /not for the key in the CSR/,
    );
  });

  it('refuses an empty or unparsable chain', async () => {
    const key = await createKeyAndCsr(SLEEP);
    expect(refusal(() => materialFromChain([], key, SLEEP_URI, '')).message).toMatch(
      /cert_chain is empty/,
    );
    expect(refusal(() => materialFromChain(['junk'], key, SLEEP_URI, '')).message).toMatch(
      /cert_chain\[0\]: no PEM certificate/,
    );
  });
});
