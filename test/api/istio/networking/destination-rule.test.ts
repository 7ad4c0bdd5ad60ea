// DestinationRule client TLS validation: caCrl (a CRL file on the proxy) goes with
// SIMPLE and MUTUAL from files; a credentialName brings its CRL in the Secret, so the
// two together are rejected, as Istio's ValidateTLS does.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../api/istio/validate.ts';

const rule = (spec: Record<string, unknown>) =>
  validateConfig({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { host: 'reviews', ...spec },
  }).errors;

describe('DestinationRule caCrl', () => {
  it('is accepted with SIMPLE and MUTUAL from files, at every level', () => {
    const tls = { mode: 'SIMPLE', caCertificates: '/ca.pem', caCrl: '/ca.crl' };
    expect(
      rule({
        trafficPolicy: { tls, portLevelSettings: [{ port: { number: 9080 }, tls }] },
        subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls } }],
      }),
    ).toEqual([]);
    expect(
      rule({
        trafficPolicy: {
          tls: { mode: 'MUTUAL', clientCertificate: '/c', privateKey: '/k', caCrl: '/ca.crl' },
        },
      }),
    ).toEqual([]);
  });

  it('is rejected beside a credentialName, naming the field at each level', () => {
    const tls = { mode: 'MUTUAL', credentialName: 'client', caCrl: '/ca.crl' };
    const message =
      'cannot be set together with credentialName: put the CRL in the Secret (ca.crl)';
    expect(
      rule({
        trafficPolicy: { tls, portLevelSettings: [{ port: { number: 9080 }, tls }] },
        subsets: [{ name: 'v1', trafficPolicy: { tls } }],
      }),
    ).toEqual([
      `destinationrule default/reviews: spec.trafficPolicy.tls.caCrl: ${message}`,
      `destinationrule default/reviews: spec.trafficPolicy.portLevelSettings[0].tls.caCrl: ${message}`,
      `destinationrule default/reviews: spec.subsets[0].trafficPolicy.tls.caCrl: ${message}`,
    ]);
  });
});
