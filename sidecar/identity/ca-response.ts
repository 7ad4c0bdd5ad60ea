// Checks the CA's answer before the proxy serves it: the leaf must be for the key
// just generated and carry exactly the identity asked for. The chain is laid out
// as Istio's CA sends it: leaf, intermediates, and the root bundle last.
import { X509Certificate } from 'node:crypto';
import { certificatesFromPem, joinPem } from '../../api/istio/ca/pem.ts';
import { uriSans } from '../../api/istio/ca/spiffe.ts';
import { IdentityError, errorLine } from './errors.ts';
import { certificateHasKey } from './key-csr.ts';
import type { IdentityMaterial } from './secrets.ts';

function bad(message: string): never {
  throw new IdentityError('PETREL_IDENTITY_BAD_RESPONSE', `CA response: ${message}`);
}

export function materialFromChain(
  chain: readonly string[],
  key: { keyPem: string; publicKeySpki: Buffer },
  spiffeId: string,
  fallbackRootPem: string,
): IdentityMaterial {
  if (chain.length === 0) bad('cert_chain is empty');
  let entries: string[][];
  try {
    entries = chain.map((entry, i) =>
      certificatesFromPem(entry, `cert_chain[${i}]`).map((c) => c.pem),
    );
  } catch (err) {
    return bad(errorLine(err));
  }
  const leafPem = entries[0]![0]!;
  const leaf = new X509Certificate(leafPem);
  if (!certificateHasKey(leafPem, key.publicKeySpki))
    bad('the leaf certificate is not for the key in the CSR');
  const sans = uriSans(leaf);
  if (sans.length !== 1 || sans[0] !== spiffeId)
    bad(`the leaf certificate is for ${sans.join(',') || '(no URI SAN)'}, not ${spiffeId}`);
  // One entry: a leaf (perhaps with intermediates) and no root; the configured root is the trust anchor.
  const certs = chain.length >= 2 ? entries.slice(0, -1).flat() : entries[0]!;
  const rootPem = chain.length >= 2 ? joinPem(entries.at(-1)!) : fallbackRootPem;
  return {
    spiffeId,
    certChainPem: joinPem(certs),
    keyPem: key.keyPem,
    rootPem,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serial: leaf.serialNumber,
  };
}
