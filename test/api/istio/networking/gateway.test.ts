import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../api/istio/validate.ts';
import { GatewaySpec, gatewaySpecWarnings } from '../../../../api/istio/networking/gateway.ts';

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

  it('caCrl beside a credentialName: accepted with a warning, as Istio (the Secret carries the CRL, ca.crl)', () => {
    const result = validateConfig({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'default' },
      spec: {
        servers: [
          {
            hosts: ['*'],
            port: https,
            tls: { mode: 'MUTUAL', credentialName: 'gw', caCrl: '/crl.pem' },
          },
        ],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'gateway default/edge: spec.servers[0].tls.caCrl: ignored beside a credential, whose CRL comes from its Secret (ca.crl)',
    ]);
  });
});

describe('Gateway AUTO_PASSTHROUGH servers, as Istio validates them', () => {
  const tlsPort = { number: 15443, name: 'tls', protocol: 'TLS' };

  it('are accepted on TLS and HTTPS ports with no certificates at all', () => {
    expect(gateway({ port: tlsPort, tls: { mode: 'AUTO_PASSTHROUGH' } })).toEqual([]);
    expect(gateway({ port: https, tls: { mode: 'AUTO_PASSTHROUGH' } })).toEqual([]);
  });

  it('are accepted on a plain HTTP port, as Istio does, and rejected on TCP-like ports', () => {
    const http = { number: 80, name: 'http', protocol: 'HTTP' };
    expect(gateway({ port: http, tls: { mode: 'AUTO_PASSTHROUGH' } })).toEqual([]);
    expect(
      gateway({
        port: { number: 3306, name: 'mysql', protocol: 'TCP' },
        tls: { mode: 'AUTO_PASSTHROUGH' },
      }),
    ).toEqual([
      'gateway default/edge: spec.servers[0].tls.mode: only httpsRedirect is allowed on a TCP server',
    ]);
  });

  it('warn about each certificate field, which a passthrough server never uses', () => {
    const spec = GatewaySpec.parse({
      servers: [
        { port: tlsPort, hosts: ['*.local'], tls: { mode: 'AUTO_PASSTHROUGH' } },
        {
          port: { ...tlsPort, name: 'tls-2', number: 15444 },
          hosts: ['*.local'],
          tls: {
            mode: 'AUTO_PASSTHROUGH',
            credentialName: 'cert',
            caCrl: '/crl.pem',
            credentialNames: [],
          },
        },
        { port: https, hosts: ['a.example'], tls: { credentialName: 'c' } },
        { port: https, hosts: ['b.example'], tls: { mode: 'SIMPLE', credentialName: 'c' } },
      ],
    });
    expect(gatewaySpecWarnings(spec)).toEqual([
      'spec.servers[1].tls.caCrl: AUTO_PASSTHROUGH mode does not use certificates; ignored',
      'spec.servers[1].tls.credentialName: AUTO_PASSTHROUGH mode does not use certificates; ignored',
      // No mode is Istio's PASSTHROUGH.
      'spec.servers[2].tls.credentialName: PASSTHROUGH mode does not use certificates; ignored',
    ]);
  });
});
