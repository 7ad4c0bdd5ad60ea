import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../api/istio/validate.ts';

const gateway = (server: Record<string, unknown>) =>
  validateConfig({
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'default' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ hosts: ['*'], ...server }] },
  }).errors;

const https = { number: 443, name: 'https', protocol: 'HTTPS' };

describe('Gateway server TLS validation', () => {
  it('accepts SIMPLE and MUTUAL with a credentialName, and SIMPLE with the file pair', () => {
    expect(gateway({ port: https, tls: { mode: 'SIMPLE', credentialName: 'edge-cert' } })).toEqual(
      [],
    );
    expect(gateway({ port: https, tls: { mode: 'MUTUAL', credentialName: 'edge-cert' } })).toEqual(
      [],
    );
    expect(
      gateway({
        port: https,
        tls: { mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' },
      }),
    ).toEqual([]);
  });

  it('rejects SIMPLE without certificate or key, naming each missing field', () => {
    expect(gateway({ port: https, tls: { mode: 'SIMPLE' } })).toEqual([
      'gateway default/edge: spec.servers[0].tls.serverCertificate: SIMPLE mode requires a server certificate (or a credentialName)',
      'gateway default/edge: spec.servers[0].tls.privateKey: SIMPLE mode requires a private key (or a credentialName)',
    ]);
  });

  it('rejects MUTUAL from files without a client CA bundle', () => {
    expect(
      gateway({
        port: https,
        tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' },
      }),
    ).toEqual([
      'gateway default/edge: spec.servers[0].tls.caCertificates: MUTUAL mode requires a client CA bundle (or a credentialName)',
    ]);
  });

  it('rejects an HTTPS server without TLS settings and TLS termination on a plain HTTP server', () => {
    expect(gateway({ port: https })).toEqual([
      'gateway default/edge: spec.servers[0].tls: server must have TLS settings for the HTTPS protocol',
    ]);
    expect(
      gateway({
        port: { number: 80, name: 'http', protocol: 'HTTP' },
        tls: { mode: 'SIMPLE', credentialName: 'c' },
      }),
    ).toEqual([
      'gateway default/edge: spec.servers[0].tls.mode: only httpsRedirect is allowed on a HTTP server',
    ]);
    expect(
      gateway({
        port: { number: 80, name: 'http', protocol: 'HTTP' },
        tls: { httpsRedirect: true },
      }),
    ).toEqual([]);
  });

  it('rejects files on ISTIO_MUTUAL and credentialName together with credentialNames', () => {
    expect(
      gateway({ port: https, tls: { mode: 'ISTIO_MUTUAL', serverCertificate: '/c.pem' } }),
    ).toHaveLength(1);
    expect(
      gateway({
        port: https,
        tls: { mode: 'SIMPLE', credentialName: 'a', credentialNames: ['b'] },
      }),
    ).toEqual([
      'gateway default/edge: spec.servers[0].tls.credentialNames: cannot be set together with credentialName',
    ]);
  });

  it('caCrl: accepted where client certificates are checked from files or the mesh root', () => {
    const files = { serverCertificate: '/c.pem', privateKey: '/k.pem', caCrl: '/crl.pem' };
    for (const mode of ['MUTUAL', 'OPTIONAL_MUTUAL'])
      expect(gateway({ port: https, tls: { mode, ...files, caCertificates: '/ca.pem' } })).toEqual(
        [],
      );
    expect(gateway({ port: https, tls: { mode: 'ISTIO_MUTUAL', caCrl: '/crl.pem' } })).toEqual([]);
    expect(gateway({ port: https, tls: { mode: 'SIMPLE', ...files } })).toEqual([
      'gateway default/edge: spec.servers[0].tls.caCrl: SIMPLE mode checks no client certificates: a CRL needs MUTUAL or OPTIONAL_MUTUAL',
    ]);
  });

  it('caCrl: rejected beside a credentialName, whose Secret carries the CRL (ca.crl)', () => {
    expect(
      gateway({ port: https, tls: { mode: 'MUTUAL', credentialName: 'gw', caCrl: '/crl.pem' } }),
    ).toEqual([
      'gateway default/edge: spec.servers[0].tls.caCrl: cannot be set together with credentialName: put the CRL in the Secret (ca.crl)',
    ]);
  });
});
