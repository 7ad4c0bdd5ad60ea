// IST0128 / IST0129: a DestinationRule originating TLS (SIMPLE or MUTUAL)
// without CA certificates does not verify the server it talks to (Istio's
// destinationrule.CaCertificateAnalyzer). A credentialName brings its own CA;
// insecureSkipVerify says the user chose not to verify.
import type { ClientTLSSettings, DestinationRuleSpec } from '../../../api/istio/index.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

function unverified(tls: ClientTLSSettings | undefined): tls is ClientTLSSettings {
  return (
    (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') &&
    !tls.caCertificates &&
    !tls.credentialName &&
    tls.insecureSkipVerify !== true
  );
}

export const caCertificateAnalyzer: Analyzer = {
  name: 'destinationrule.CaCertificateAnalyzer',
  description: 'Checks that DestinationRules originating TLS verify the server certificate',
  analyze(ctx) {
    for (const dr of ctx.snapshot.list('DestinationRule')) {
      const spec = dr.spec as DestinationRuleSpec;
      const name = dr.metadata.name;
      const namespace = dr.metadata.namespace ?? 'default';
      const policy = spec.trafficPolicy;
      if (unverified(policy?.tls)) {
        ctx.report(
          MESSAGES.NoServerCertificateVerificationDestinationLevel.make(
            name,
            namespace,
            policy.tls.mode,
            spec.host,
          ),
          dr,
          ['spec', 'trafficPolicy', 'tls', 'mode'],
        );
      }
      policy?.portLevelSettings?.forEach((p, i) => {
        if (!unverified(p.tls)) return;
        ctx.report(
          MESSAGES.NoServerCertificateVerificationPortLevel.make(
            name,
            namespace,
            p.tls.mode,
            spec.host,
            String(p.port.number),
          ),
          dr,
          ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'mode'],
        );
      });
    }
  },
};
