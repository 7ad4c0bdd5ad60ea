// security.istio.io PeerAuthentication: which mTLS mode a workload's inbound side
// accepts (STRICT, PERMISSIVE, DISABLE, or UNSET to inherit), mesh-wide (root
// namespace), per namespace, per workload (selector) and per port (portLevelMtls).
// Istio's own validation rules are kept: portLevelMtls needs a selector, and its
// keys are port numbers.
import { z } from 'zod';
import { enumOf, labels } from '../schema-kit.ts';

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

const Mtls = z.strictObject({ mode: enumOf(MTLS_MODES).optional() });

const portKey = z
  .string()
  .regex(/^[0-9]+$/, 'must be a port number')
  .refine((k) => Number(k) >= 1 && Number(k) <= 65535, 'must be a port number 1..65535');

export const PeerAuthenticationSpec = z
  .strictObject({
    selector: z.strictObject({ matchLabels: labels().optional() }).optional(),
    mtls: Mtls.optional(),
    portLevelMtls: z.record(portKey, Mtls).optional(),
  })
  .superRefine((spec, ctx) => {
    const hasSelector = Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
    if (!hasSelector && Object.keys(spec.portLevelMtls ?? {}).length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['portLevelMtls'],
        message: 'mesh-wide and namespace-wide policies (no selector) cannot have portLevelMtls',
      });
  });

export type PeerAuthenticationSpec = z.infer<typeof PeerAuthenticationSpec>;
