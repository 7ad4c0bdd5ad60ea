// The credentials pilot serves over SDS (Istio's SecretGen): Kubernetes Secrets of
// the proxy's own namespace, by the names its TLS contexts ask for.
import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../../../../api/envoy/registry.ts';
import { credentialSecretGenerator } from '../../../../pilot/translate/router/credentials.ts';
import { scenarioFromYaml } from '../support/scenario.ts';

describe('credentials over SDS', () => {
  const s = scenarioFromYaml(`
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
---
kind: TestProxy
name: gw
node:
  id: router~10.2.0.1~gw-1.istio-system~istio-system.svc.cluster.local
  metadata: {NAMESPACE: istio-system}
`);
  const gw = s.proxies[0]!.proxy;
  const generate = (names: string[]) => credentialSecretGenerator.generate(s.push, gw, names);

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
