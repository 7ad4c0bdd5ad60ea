// networking.istio.io DestinationRule.
import { z } from 'zod';
import {
  PortSelector,
  WorkloadSelector,
  duration,
  enumOf,
  exportTo,
  int,
  labels,
} from '../schema-kit.ts';

export const LoadBalancerSettings = z
  .strictObject({
    simple: enumOf([
      'UNSPECIFIED',
      'LEAST_CONN',
      'RANDOM',
      'PASSTHROUGH',
      'ROUND_ROBIN',
      'LEAST_REQUEST',
    ]).optional(),
    consistentHash: z
      .strictObject({
        httpHeaderName: z.string().optional(),
        httpCookie: z
          .strictObject({
            name: z.string().min(1),
            path: z.string().optional(),
            ttl: duration(0).optional(),
          })
          .optional(),
        useSourceIp: z.boolean().optional(),
        httpQueryParameterName: z.string().optional(),
        ringHash: z.strictObject({ minimumRingSize: int(0, 8_388_608).optional() }).optional(),
        maglev: z.strictObject({ tableSize: int(1, 5_000_011).optional() }).optional(),
        minimumRingSize: int(0, 8_388_608).optional(),
      })
      .refine(
        (h) =>
          [h.httpHeaderName, h.httpCookie, h.useSourceIp, h.httpQueryParameterName].filter(
            (v) => v !== undefined,
          ).length === 1,
        {
          message:
            'must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName',
        },
      )
      .optional(),
    localityLbSetting: z.record(z.string(), z.unknown()).optional(),
    warmupDurationSecs: duration().optional(),
  })
  .refine((lb) => !(lb.simple && lb.consistentHash), {
    message: 'must set only one of simple, consistentHash',
  });

export const ConnectionPoolSettings = z.strictObject({
  tcp: z
    .strictObject({
      maxConnections: int(0, 2_147_483_647).optional(),
      connectTimeout: duration().optional(),
      tcpKeepalive: z
        .strictObject({
          probes: int().optional(),
          time: duration().optional(),
          interval: duration().optional(),
        })
        .optional(),
      maxConnectionDuration: duration().optional(),
      idleTimeout: duration().optional(),
    })
    .optional(),
  http: z
    .strictObject({
      http1MaxPendingRequests: int(0, 2_147_483_647).optional(),
      http2MaxRequests: int(0, 2_147_483_647).optional(),
      maxRequestsPerConnection: int(0, 2_147_483_647).optional(),
      maxRetries: int(0, 2_147_483_647).optional(),
      idleTimeout: duration().optional(),
      h2UpgradePolicy: enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
      useClientProtocol: z.boolean().optional(),
      maxConcurrentStreams: int(0, 2_147_483_647).optional(),
    })
    .optional(),
});

export const OutlierDetection = z.strictObject({
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: int().optional(),
  consecutiveGatewayErrors: int().optional(),
  consecutive5xxErrors: int().optional(),
  consecutiveErrors: int().optional(),
  interval: duration().optional(),
  baseEjectionTime: duration().optional(),
  maxEjectionPercent: int(0, 100).optional(),
  minHealthPercent: int(0, 100).optional(),
});

export const ClientTLSSettings = z
  .strictObject({
    mode: enumOf(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    clientCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    credentialName: z.string().optional(),
    subjectAltNames: z.array(z.string()).optional(),
    sni: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
    /** A PEM CRL file on the proxy (SIMPLE and MUTUAL; ISTIO_MUTUAL ignores it, as Istio does). */
    caCrl: z.string().optional(),
  })
  // Istio's ValidateTLS: a credentialName brings its CRL in the Secret (ca.crl).
  .refine(
    (tls) => !(tls.caCrl && tls.credentialName && (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL')),
    {
      path: ['caCrl'],
      message: 'cannot be set together with credentialName: put the CRL in the Secret (ca.crl)',
    },
  );

const policyFields = {
  loadBalancer: LoadBalancerSettings.optional(),
  connectionPool: ConnectionPoolSettings.optional(),
  outlierDetection: OutlierDetection.optional(),
  tls: ClientTLSSettings.optional(),
};

export const TrafficPolicy = z.strictObject({
  ...policyFields,
  portLevelSettings: z.array(z.strictObject({ port: PortSelector, ...policyFields })).optional(),
  tunnel: z.record(z.string(), z.unknown()).optional(),
  proxyProtocol: z.record(z.string(), z.unknown()).optional(),
});

export const Subset = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, 'must be a DNS-1123-like label'),
  labels: labels().optional(),
  trafficPolicy: TrafficPolicy.optional(),
});

export const DestinationRuleSpec = z
  .strictObject({
    host: z.string().min(1, 'must not be empty'),
    trafficPolicy: TrafficPolicy.optional(),
    subsets: z.array(Subset).optional(),
    exportTo: exportTo().optional(),
    workloadSelector: WorkloadSelector.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.subsets?.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['subsets', i, 'name'],
          message: `duplicate subset name "${s.name}"`,
        });
      seen.add(s.name);
    });
  });

export type DestinationRuleSpec = z.infer<typeof DestinationRuleSpec>;
export type TrafficPolicy = z.infer<typeof TrafficPolicy>;
export type LoadBalancerSettings = z.infer<typeof LoadBalancerSettings>;
export type ConnectionPoolSettings = z.infer<typeof ConnectionPoolSettings>;
export type OutlierDetection = z.infer<typeof OutlierDetection>;
export type ClientTLSSettings = z.infer<typeof ClientTLSSettings>;
export type Subset = z.infer<typeof Subset>;
