// networking.k8s.io/v1 Ingress and IngressClass: the spec fields and the rules the
// Kubernetes API server enforces on them (k8s.io/kubernetes pkg/apis/networking
// validation), so a file in --config-dir is refused for what `kubectl apply` would
// refuse, naming the field. pilot serves the Ingresses it owns through the gateway
// (pilot/model/ingress).
import { z } from 'zod';
import { enumOf, port } from '../istio/schema-kit.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kubernetes rejects these in Exact and Prefix paths: they would be normalised away.
const BAD_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const BAD_SUFFIXES = ['/..', '/.'];

/** Exactly one of name and number, as Kubernetes requires of a backend service port. */
export const ServiceBackendPort = z
  .strictObject({
    name: z
      .string()
      .regex(DNS1123_LABEL, 'must be a port name (lowercase DNS-1123 label)')
      .optional(),
    number: port().optional(),
  })
  .refine((p) => (p.name === undefined) !== (p.number === undefined), {
    message: 'must set exactly one of name, number',
  });

export const IngressServiceBackend = z.strictObject({
  name: z.string().regex(DNS1123_LABEL, 'must be a Service name (lowercase DNS-1123 label)'),
  port: ServiceBackendPort,
});

export const IngressBackend = z
  .strictObject({
    service: IngressServiceBackend.optional(),
    /** A backend that is not a Service (e.g. a storage bucket); not served by Petrel (api/istio/unsupported.ts). */
    resource: z
      .strictObject({
        apiGroup: z.string().optional(),
        kind: z.string().min(1, 'must not be empty'),
        name: z.string().min(1, 'must not be empty'),
      })
      .optional(),
  })
  .refine((b) => (b.service === undefined) !== (b.resource === undefined), {
    message: 'must set exactly one of service, resource',
  });

export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

export const HTTPIngressPath = z
  .strictObject({
    path: z.string().optional(),
    pathType: enumOf(PATH_TYPES),
    backend: IngressBackend,
  })
  .superRefine((p, ctx) => {
    const path = p.path ?? '';
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['path'], message });
    if (p.pathType === 'ImplementationSpecific') {
      if (path && !path.startsWith('/')) issue('must be an absolute path');
      return;
    }
    if (!path.startsWith('/')) return issue('must be an absolute path');
    const seq = BAD_SEQUENCES.find((s) => path.includes(s));
    if (seq) return issue(`must not contain '${seq}'`);
    const suffix = BAD_SUFFIXES.find((s) => path.endsWith(s));
    if (suffix) issue(`must not end with '${suffix}'`);
  });

/** A rule host: a DNS name, or a wildcard `*.example.com`; never an IP address. */
const ruleHost = () =>
  z.string().refine((h) => {
    const name = h.startsWith('*.') ? h.slice(2) : h;
    return DNS1123_SUBDOMAIN.test(name) && name.length <= 253 && !/^[\d.]+$/.test(name);
  }, 'must be a lowercase DNS name or a wildcard like *.example.com (not an IP address)');

export const IngressRule = z.strictObject({
  host: ruleHost().optional(),
  http: z
    .strictObject({
      paths: z.array(HTTPIngressPath).min(1, 'must list at least one path'),
    })
    .optional(),
});

export const IngressTLS = z.strictObject({
  hosts: z.array(z.string()).optional(),
  secretName: z.string().optional(),
});

export const IngressSpec = z
  .strictObject({
    ingressClassName: z.string().optional(),
    defaultBackend: IngressBackend.optional(),
    tls: z.array(IngressTLS).optional(),
    rules: z.array(IngressRule).optional(),
  })
  .refine((s) => s.defaultBackend !== undefined || (s.rules?.length ?? 0) > 0, {
    message: 'must set defaultBackend or rules',
  });

export const IngressClassSpec = z.strictObject({
  /** Which controller serves Ingresses of this class; pilot's is `istio.io/ingress-controller`. */
  controller: z
    .string()
    .regex(/^[^/]+\/.+$/, 'must be a domain-prefixed path like istio.io/ingress-controller')
    .max(250, 'must be at most 250 characters'),
  parameters: z
    .strictObject({
      apiGroup: z.string().optional(),
      kind: z.string().min(1, 'must not be empty'),
      name: z.string().min(1, 'must not be empty'),
      scope: enumOf(['Cluster', 'Namespace']).optional(),
      namespace: z.string().optional(),
    })
    .optional(),
});

export type IngressSpec = z.infer<typeof IngressSpec>;
export type IngressBackend = z.infer<typeof IngressBackend>;
export type HTTPIngressPath = z.infer<typeof HTTPIngressPath>;
export type IngressRule = z.infer<typeof IngressRule>;
export type IngressTLS = z.infer<typeof IngressTLS>;
export type IngressClassSpec = z.infer<typeof IngressClassSpec>;

/** The controller name Istio's ingress controller answers to in IngressClass.spec.controller. */
export const ISTIO_INGRESS_CONTROLLER = 'istio.io/ingress-controller';
/** The legacy class annotation, still honoured before ingressClassName (as Istio does). */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** Marks the IngressClass the API server gives to new Ingresses that name none. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
