// The credentials pilot serves over SDS (Istio's SecretGen): Kubernetes Secrets of
// the proxy's own namespace, by the names its TLS contexts ask for.
import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../../../../api/envoy/registry.ts';
import { credentialSecretGenerator } from '../../../../pilot/translate/router/credentials.ts';
import { scenarioFromYaml } from '../support/scenario.ts';

/** The generator for a gateway in istio-system, with the Secrets in `yaml`. */
function gatewaySecrets(yaml: string) {
  const s = scenarioFromYaml(`${yaml}
---
kind: TestProxy
name: gw
node:
  id: router~10.2.0.1~gw-1.istio-system~istio-system.svc.cluster.local
  metadata: {NAMESPACE: istio-system}
`);
  const gw = s.proxies[0]!.proxy;
  return (names: string[]) => credentialSecretGenerator.generate(s.push, gw, names);
}

describe('credentials over SDS', () => {
  const generate = gatewaySecrets(`
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from('CERT').toString('base64')}
  tls.key: ${Buffer.from('KEY').toString('base64')}
  ca.crt: ${Buffer.from('CA').toString('base64')}
---
apiVersion: v1
kind: Secret
metadata: {name: other, namespace: default}
stringData: {cert: OTHER, key: OTHERKEY}
`);

  it('serves a TLS secret as a certificate, and its ca.crt as the -cacert validation context', () => {
    const out = generate(['kubernetes://web', 'kubernetes://web-cacert']);
    expect(out.map((r) => r.resource)).toEqual([
      {
        '@type': TypeUrl.Secret,
        name: 'kubernetes://web',
        tls_certificate: {
          certificate_chain: { inline_bytes: Buffer.from('CERT').toString('base64') },
          private_key: { inline_bytes: Buffer.from('KEY').toString('base64') },
        },
      },
      {
        '@type': TypeUrl.Secret,
        name: 'kubernetes://web-cacert',
        validation_context: { trusted_ca: { inline_bytes: Buffer.from('CA').toString('base64') } },
      },
    ]);
  });

  it("serves only the proxy's namespace, nothing unasked, nothing for a missing secret", () => {
    expect(generate(['kubernetes://other', 'kubernetes://missing', 'default'])).toEqual([]);
    expect(generate([])).toEqual([]);
  });
});

describe('CRLs of credentials over SDS', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const generate = gatewaySecrets(`
apiVersion: v1
kind: Secret
metadata: {name: tls-with-crl, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: ${b64('CERT')}, tls.key: ${b64('KEY')}, ca.crt: ${b64('CA')}, ca.crl: ${b64('CRL')}}
---
apiVersion: v1
kind: Secret
metadata: {name: split, namespace: istio-system}
stringData: {cert: CERT, key: KEY, cacert: OWN-CA, crl: OWN-CRL}
---
apiVersion: v1
kind: Secret
metadata: {name: split-cacert, namespace: istio-system}
stringData: {cacert: SPLIT-CA, crl: SPLIT-CRL}
---
apiVersion: v1
kind: Secret
metadata: {name: no-crl, namespace: istio-system}
stringData: {tls.crt: CERT, tls.key: KEY, ca.crt: CA, crl: IGNORED}
`);
  const validation = (name: string) => generate([name])[0]?.resource.validation_context;

  it("a TLS secret's ca.crl goes with its ca.crt into the -cacert validation context", () => {
    expect(validation('kubernetes://tls-with-crl-cacert')).toEqual({
      trusted_ca: { inline_bytes: b64('CA') },
      crl: { inline_bytes: b64('CRL') },
    });
  });

  it('a -cacert secret brings its own CA and CRL (generic keys cacert and crl)', () => {
    expect(validation('kubernetes://split-cacert')).toEqual({
      trusted_ca: { inline_bytes: b64('SPLIT-CA') },
      crl: { inline_bytes: b64('SPLIT-CRL') },
    });
  });

  it('the CRL key follows the CA key: ca.crt pairs with ca.crl only', () => {
    expect(validation('kubernetes://no-crl-cacert')).toEqual({
      trusted_ca: { inline_bytes: b64('CA') },
    });
  });
});
