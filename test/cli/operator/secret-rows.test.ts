// Secret rows read real certificates: serial, validity and whether they are
// valid now, for a cert chain and a CA, as istioctl prints them.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { SECRET_HEADERS, secretRows } from '../../../cli/operator/secret-rows.ts';
import { renderTable } from '../../../cli/operator/table.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function certPem(serial: string, notBefore: string, notAfter: string): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: 'CN=test',
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys: keys as never,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}

describe('secretRows', () => {
  it('reads the leaf of a cert chain and a CA, inline bytes or string', async () => {
    const leaf = await certPem('00a1b2', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');
    const ca = await certPem('7f', '2024-01-01T00:00:00Z', '2034-01-01T00:00:00Z');
    const rows = secretRows(
      [
        {
          name: 'default',
          status: 'ACTIVE',
          resource: {
            name: 'default',
            tls_certificate: {
              certificate_chain: { inline_bytes: Buffer.from(leaf + ca).toString('base64') },
              private_key: { inline_bytes: Buffer.from('[redacted]').toString('base64') },
            },
          },
        },
        {
          name: 'ROOTCA',
          status: 'WARMING',
          resource: { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: ca } } },
        },
      ],
      new Date('2024-06-01T00:00:00Z'),
    );
    expect(renderTable(SECRET_HEADERS, rows)).toBe(
      [
        'RESOURCE NAME   TYPE         STATUS    VALID CERT   SERIAL NUMBER   NOT AFTER              NOT BEFORE',
        'ROOTCA          CA           WARMING   true         7f              2034-01-01T00:00:00Z   2024-01-01T00:00:00Z',
        'default         Cert Chain   ACTIVE    false        a1b2            2024-01-02T00:00:00Z   2024-01-01T00:00:00Z',
        '',
      ].join('\n'),
    );
  });

  it('marks a certificate it cannot read as not valid', () => {
    const rows = secretRows([
      {
        name: 'file',
        status: 'ACTIVE',
        resource: { tls_certificate: { certificate_chain: { filename: '/etc/certs/cert.pem' } } },
      },
      {
        name: 'junk',
        status: 'ACTIVE',
        resource: { tls_certificate: { certificate_chain: { inline_string: 'not a cert' } } },
      },
    ]);
    expect(rows).toEqual([
      ['file', 'Cert Chain', 'ACTIVE', 'false', '-', '-', '-'],
      ['junk', 'Cert Chain', 'ACTIVE', 'false', '-', '-', '-'],
    ]);
  });
});
