// IST0118: a Service port whose name does not follow Istio's `<protocol>[-suffix]`
// convention and that has no appProtocol: pilot cannot tell its protocol and
// falls back to sniffing (Istio's service.PortNameAnalyzer). The protocol
// decision is pilot's own (kubePortProtocol), so exactly the ports pilot
// treats as UNSPECIFIED are reported. Kubernetes' system namespaces are skipped.
import type { V1Service } from '@kubernetes/client-node';
import { kubePortProtocol } from '../../model/protocol.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

const SYSTEM_NAMESPACES = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
]);

export const portNameAnalyzer: Analyzer = {
  name: 'service.PortNameAnalyzer',
  description: 'Checks the port names associated with each service',
  analyze(ctx) {
    for (const obj of ctx.snapshot.list('Service')) {
      if (SYSTEM_NAMESPACES.has(obj.metadata.namespace ?? '')) continue;
      const svc = obj as unknown as V1Service;
      // ExternalName services have no workloads of their own to sniff on.
      if (svc.spec?.type === 'ExternalName') continue;
      svc.spec?.ports?.forEach((p, i) => {
        if (kubePortProtocol(p.port, p.name, p.protocol, p.appProtocol) !== 'UNSPECIFIED') return;
        const target = p.targetPort ?? p.port; // Kubernetes' default
        ctx.report(
          MESSAGES.PortNameIsNotUnderNamingConvention.make(p.name ?? '', p.port, String(target)),
          obj,
          ['spec', 'ports', i, 'name'],
        );
      });
    }
  },
};
