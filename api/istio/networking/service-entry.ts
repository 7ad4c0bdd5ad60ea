// networking.istio.io ServiceEntry (and the WorkloadEntry shape of its endpoints).
import { z } from 'zod';
import { WorkloadSelector, enumOf, exportTo, int, labels, port } from '../schema-kit.ts';

export const ServicePort = z.strictObject({
  number: port(),
  protocol: z.string().optional(),
  name: z.string().min(1, 'must not be empty'),
  targetPort: port().optional(),
});

export const WorkloadEntrySpec = z.strictObject({
  address: z.string().optional(),
  ports: z.record(z.string(), port()).optional(),
  labels: labels().optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: int(0, 4294967295).optional(),
  serviceAccount: z.string().optional(),
});

export const ServiceEntrySpec = z
  .strictObject({
    hosts: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one host'),
    addresses: z.array(z.string()).optional(),
    ports: z.array(ServicePort).optional(),
    location: enumOf(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
    resolution: enumOf(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).optional(),
    endpoints: z.array(WorkloadEntrySpec).optional(),
    workloadSelector: WorkloadSelector.optional(),
    exportTo: exportTo().optional(),
    subjectAltNames: z.array(z.string()).optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.resolution ?? 'NONE') === 'STATIC' && !spec.workloadSelector) {
      spec.endpoints?.forEach((e, i) => {
        if (!e.address)
          ctx.addIssue({
            code: 'custom',
            path: ['endpoints', i, 'address'],
            message: 'is required with resolution STATIC',
          });
      });
    }
    if (spec.endpoints && spec.workloadSelector) {
      ctx.addIssue({
        code: 'custom',
        path: ['workloadSelector'],
        message: 'cannot be set together with endpoints',
      });
    }
  });

export type ServiceEntrySpec = z.infer<typeof ServiceEntrySpec>;
export type WorkloadEntrySpec = z.infer<typeof WorkloadEntrySpec>;
