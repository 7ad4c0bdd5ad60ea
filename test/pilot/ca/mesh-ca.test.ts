import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { CaError } from '../../../pilot/ca/errors.ts';
import { csrFor, csrWith, tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let ca: MeshCa;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  ca = await MeshCa.create({ stateDir: dir });
});
afterEach(() => cleanup());

const bookinfo = { namespace: 'default', serviceAccount: 'bookinfo-reviews' };
const uri = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews';

async function rejection(p: Promise<unknown>): Promise<CaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CaError);
  return err as CaError;
}

describe('MeshCa.signCsr', () => {
  it("issues a leaf whose only SAN is the caller's SPIFFE ID and which verifies against the root", async () => {
    const { csrPem } = await csrFor(uri);
    const chain = await ca.signCsr(csrPem, bookinfo);
    expect(chain).toHaveLength(2);
    const leaf = new X509Certificate(chain[0]!);
    const root = new X509Certificate(chain[1]!);
    expect(chain[1]).toBe(ca.rootCertPem());
    expect(leaf.subjectAltName).toBe(`URI:${uri}`);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(root.ca).toBe(true);
    expect(leaf.keyUsage).toEqual(
      expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
    );
  });

  it('issues for the caller even when the CSR names no SAN', async () => {
    const { csrPem } = await csrWith([]);
    const leaf = new X509Certificate((await ca.signCsr(csrPem, bookinfo))[0]!);
    expect(leaf.subjectAltName).toBe(`URI:${uri}`);
  });

  it('lives 24 h by default, honours a shorter request and refuses one over the maximum', async () => {
    const { csrPem } = await csrFor(uri);
    const life = (pem: string): number => {
      const c = new X509Certificate(pem);
      return (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 1000;
    };
    expect(life((await ca.signCsr(csrPem, bookinfo))[0]!)).toBe(24 * 3600);
    expect(life((await ca.signCsr(csrPem, bookinfo, 3600))[0]!)).toBe(3600);
    const err = await rejection(ca.signCsr(csrPem, bookinfo, 91 * 24 * 3600));
    expect(err.code).toBe('PETREL_CA_BAD_TTL');
  });

  it('refuses a CSR for another identity than the caller', async () => {
    const { csrPem } = await csrFor('spiffe://cluster.local/ns/b/sa/y');
    const err = await rejection(ca.signCsr(csrPem, { namespace: 'a', serviceAccount: 'x' }));
    expect(err.code).toBe('PETREL_CA_IDENTITY_MISMATCH');
    expect(err.message).toContain('spiffe://cluster.local/ns/a/sa/x');
  });

  it('refuses a CSR that adds any other SAN to the caller identity', async () => {
    const { csrPem } = await csrWith([
      { type: 'url', value: uri },
      { type: 'dns', value: 'reviews.default.svc' },
    ]);
    expect((await rejection(ca.signCsr(csrPem, bookinfo))).code).toBe(
      'PETREL_CA_IDENTITY_MISMATCH',
    );
  });

  it('refuses text that is not a CSR, and a CSR whose signature was tampered with', async () => {
    expect((await rejection(ca.signCsr('hello', bookinfo))).code).toBe('PETREL_CA_BAD_CSR');
    const { csrPem } = await csrFor(uri);
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    der[der.length - 5]! ^= 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const err = await rejection(ca.signCsr(tampered, bookinfo));
    expect(err.code).toBe('PETREL_CA_BAD_CSR');
    expect(err.message).toMatch(/signature/);
  });

  it('uses the configured trust domain', async () => {
    const other = await MeshCa.create({ stateDir: dir, trustDomain: 'example.org' });
    const { csrPem } = await csrWith([]);
    const leaf = new X509Certificate((await other.signCsr(csrPem, bookinfo))[0]!);
    expect(leaf.subjectAltName).toBe('URI:spiffe://example.org/ns/default/sa/bookinfo-reviews');
  });
});

describe('MeshCa configuration', () => {
  it('needs somewhere to keep its root', async () => {
    expect((await rejection(MeshCa.create({}))).code).toBe('PETREL_CA_CONFIG');
  });
});
