// networking.istio.io Sidecar: scopes what a workload's proxy sees.
import { z } from 'zod';
import { WorkloadSelector, enumOf, port } from '../schema-kit.ts';

const SidecarPort = z.strictObject({
  number: port(),
  protocol: z.string().optional(),
  name: z.string().optional(),
  targetPort: port().optional(),
});

export const SidecarSpec = z.strictObject({
  workloadSelector: WorkloadSelector.optional(),
  ingress: z
    .array(
      z.strictObject({
        port: SidecarPort,
        bind: z.string().optional(),
        captureMode: enumOf(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
        // Istio's validation: the workload is on the pod's loopback, its IP, or a unix socket.
        // A refinement, not a regex, so the generated CRD stays Istio's (it has no pattern here).
        defaultEndpoint: z
          .string()
          .refine(
            (v) => /^(unix:\/\/.+|(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]|):\d{1,5})$/.test(v),
            'must be 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port> or unix://<path>',
          )
          .optional(),
        tls: z.record(z.string(), z.unknown()).optional(),
        connectionPool: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
  egress: z
    .array(
      z.strictObject({
        port: SidecarPort.optional(),
        bind: z.string().optional(),
        captureMode: enumOf(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
        hosts: z
          .array(z.string().regex(/^[^/]+\/[^/]+$/, 'must be "namespace/dnsName"'))
          .min(1, 'must list at least one host'),
      }),
    )
    .optional(),
  inboundConnectionPool: z.record(z.string(), z.unknown()).optional(),
  outboundTrafficPolicy: z
    .strictObject({
      mode: enumOf(['REGISTRY_ONLY', 'ALLOW_ANY']).optional(),
      egressProxy: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export type SidecarSpec = z.infer<typeof SidecarSpec>;
