import { describe, expect, it } from 'vitest';
import type { Server } from '../../../../api/istio/index.ts';
import { hasCertificates } from '../../../../pilot/translate/listener/gateway-tls.ts';

const server = (tls: Server['tls']): Server =>
  ({ port: { number: 443, protocol: 'HTTPS', name: 'https' }, hosts: ['*'], tls }) as Server;

const files = { serverCertificate: '/etc/cert.pem', privateKey: '/etc/key.pem' };

describe('hasCertificates', () => {
  it('serves SIMPLE with a certificate and key alone', () => {
    expect(hasCertificates(server({ mode: 'SIMPLE', ...files }))).toBe(true);
  });

  it('does not serve a client-verifying mode from files without a client CA', () => {
    expect(hasCertificates(server({ mode: 'MUTUAL', ...files }))).toBe(false);
    expect(hasCertificates(server({ mode: 'OPTIONAL_MUTUAL', ...files }))).toBe(false);
    expect(
      hasCertificates(server({ mode: 'OPTIONAL_MUTUAL', ...files, caCertificates: '/etc/ca.pem' })),
    ).toBe(true);
  });

  it('takes a credentialName in place of files, and ISTIO_MUTUAL needs neither', () => {
    expect(hasCertificates(server({ mode: 'MUTUAL', credentialName: 'gw-cred' }))).toBe(true);
    expect(hasCertificates(server({ mode: 'ISTIO_MUTUAL' }))).toBe(true);
  });
});
