import { describe, expect, it } from 'vitest';
import type { Server } from '../../../../api/istio/index.ts';
import {
  hasCertificates,
  serverTransportSocket,
} from '../../../../pilot/translate/listener/gateway-tls.ts';

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

describe('caCrl on servers that check client certificates', () => {
  type Obj = Record<string, unknown>;
  const validation = (tls: Server['tls']): Obj => {
    const socket = serverTransportSocket(server(tls), true);
    const common = (socket.typed_config as Obj).common_tls_context as Obj;
    return common.combined_validation_context as Obj;
  };
  const crl = { crl: { filename: '/etc/crl.pem' } };

  it('MUTUAL and OPTIONAL_MUTUAL from files: a crl filename beside the file-root CA', () => {
    for (const mode of ['MUTUAL', 'OPTIONAL_MUTUAL'] as const)
      expect(
        validation({ mode, ...files, caCertificates: '/etc/ca.pem', caCrl: '/etc/crl.pem' }),
      ).toMatchObject({
        default_validation_context: crl,
        validation_context_sds_secret_config: { name: 'file-root:/etc/ca.pem' },
      });
  });

  it('ISTIO_MUTUAL: beside the mesh root, as Istio applies it to the gateway', () => {
    expect(validation({ mode: 'ISTIO_MUTUAL', caCrl: '/etc/crl.pem' })).toMatchObject({
      default_validation_context: crl,
      validation_context_sds_secret_config: { name: 'ROOTCA' },
    });
  });

  it('a credentialName brings its CRL in the -cacert secret instead', () => {
    const v = validation({ mode: 'MUTUAL', credentialName: 'gw', caCrl: '/etc/crl.pem' });
    expect(v.default_validation_context).toEqual({});
    expect(v.validation_context_sds_secret_config).toMatchObject({
      name: 'kubernetes://gw-cacert',
    });
  });
});
