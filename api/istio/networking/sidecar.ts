// networking.istio.io Sidecar: scopes what a workload's proxy sees.
import { z } from 'zod';
import { WorkloadSelector, enumOf, port } from '../schema-kit.ts';

const SidecarPort = z.strictObject({ number: port(), protocol: z.string().optional(), name: z.string().optional(), targetPort: port().optional() });

export const SidecarSpec = z.strictObject({
  workloadSelector: WorkloadSelector.optional(),
  ingress: z
    .array(
      z.strictObject({
        port: SidecarPort,
        bind: z.string().optional(),
        captureMode: enumOf(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
        defaultEndpoint: z.string().optional(),
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
        hosts: z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'must be "namespace/dnsName"')).min(1, 'must list at least one host'),
      }),
    )
    .optional(),
  inboundConnectionPool: z.record(z.string(), z.unknown()).optional(),
  outboundTrafficPolicy: z
    .strictObject({ mode: enumOf(['REGISTRY_ONLY', 'ALLOW_ANY']).optional(), egressProxy: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});

export type SidecarSpec = z.infer<typeof SidecarSpec>;
