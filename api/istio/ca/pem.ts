// PEM bundles: split, check and join certificates. node:crypto parses a single
// certificate, not a bundle, so bundles are split on their BEGIN/END lines first.
import { X509Certificate } from 'node:crypto';
import { CaProtocolError } from './errors.ts';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** The PEM blocks with the given label, each normalised to end in one newline. */
export function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(BLOCK)) {
    if (m[1] !== label) continue;
    const body = m[2]!.replace(/\s+/g, '');
    const lines = body.match(/.{1,64}/g) ?? [];
    out.push(`-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`);
  }
  return out;
}

/** Every certificate in a PEM bundle, parsed; `where` names the source in errors. */
export function certificatesFromPem(
  text: string,
  where: string,
): { pem: string; cert: X509Certificate }[] {
  const blocks = pemBlocks(text);
  if (blocks.length === 0)
    throw new CaProtocolError('PETREL_CA_PEM', `${where}: no PEM certificate found`);
  return blocks.map((pem, i) => {
    try {
      return { pem, cert: new X509Certificate(pem) };
    } catch (err) {
      throw new CaProtocolError(
        'PETREL_CA_PEM',
        `${where}: certificate ${i + 1}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  });
}

export function joinPem(blocks: readonly string[]): string {
  return blocks.map((b) => (b.endsWith('\n') ? b : `${b}\n`)).join('');
}
