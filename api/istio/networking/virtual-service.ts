// networking.istio.io VirtualService, as Istio's API documents it.
import { z } from 'zod';
import {
  Percent,
  PortSelector,
  StringMatch,
  duration,
  enumOf,
  exportTo,
  int,
  labels,
  port,
  regex,
} from '../schema-kit.ts';

export const Destination = z.strictObject({
  host: z.string().min(1, 'must not be empty'),
  subset: z.string().optional(),
  port: PortSelector.optional(),
});

const HeaderOperations = z.strictObject({
  set: z.record(z.string(), z.string()).optional(),
  add: z.record(z.string(), z.string()).optional(),
  remove: z.array(z.string()).optional(),
});
export const Headers = z.strictObject({
  request: HeaderOperations.optional(),
  response: HeaderOperations.optional(),
});

export const HTTPMatchRequest = z.strictObject({
  name: z.string().optional(),
  uri: StringMatch.optional(),
  scheme: StringMatch.optional(),
  method: StringMatch.optional(),
  authority: StringMatch.optional(),
  headers: z.record(z.string(), StringMatch).optional(),
  port: port().optional(),
  sourceLabels: labels().optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), StringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), StringMatch).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});

export const HTTPRouteDestination = z.strictObject({
  destination: Destination,
  weight: int(0, 100).optional(),
  headers: Headers.optional(),
});

export const HTTPRedirect = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  port: port().optional(),
  derivePort: enumOf(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
  scheme: z.string().optional(),
  redirectCode: int(300, 399).optional(),
});

export const HTTPDirectResponse = z.strictObject({
  status: int(200, 599),
  body: z.strictObject({ string: z.string().optional(), bytes: z.string().optional() }).optional(),
});

export const HTTPRewrite = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: z.strictObject({ match: regex(), rewrite: z.string() }).optional(),
});

export const HTTPRetry = z.strictObject({
  attempts: int(0, 1_000_000),
  perTryTimeout: duration().optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
});

export const HTTPFaultInjection = z.strictObject({
  delay: z
    .strictObject({
      fixedDelay: duration(),
      percentage: Percent.optional(),
      percent: int(0, 100).optional(),
      exponentialDelay: duration().optional(),
    })
    .optional(),
  abort: z
    .strictObject({
      httpStatus: int(200, 599).optional(),
      grpcStatus: z.string().optional(),
      http2Error: z.string().optional(),
      percentage: Percent.optional(),
    })
    .refine(
      (a) => [a.httpStatus, a.grpcStatus, a.http2Error].filter((v) => v !== undefined).length === 1,
      {
        message: 'must set exactly one of httpStatus, grpcStatus, http2Error',
      },
    )
    .optional(),
});

export const CorsPolicy = z.strictObject({
  allowOrigins: z.array(StringMatch).optional(),
  allowOrigin: z.array(z.string()).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: duration().optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: enumOf(['UNSPECIFIED', 'FORWARD', 'IGNORE']).optional(),
});

export const HTTPMirrorPolicy = z.strictObject({
  destination: Destination,
  percentage: Percent.optional(),
});

export const HTTPRoute = z
  .strictObject({
    name: z.string().optional(),
    match: z.array(HTTPMatchRequest).optional(),
    route: z.array(HTTPRouteDestination).optional(),
    redirect: HTTPRedirect.optional(),
    directResponse: HTTPDirectResponse.optional(),
    delegate: z.strictObject({ name: z.string(), namespace: z.string().optional() }).optional(),
    rewrite: HTTPRewrite.optional(),
    timeout: duration(0).optional(),
    retries: HTTPRetry.optional(),
    fault: HTTPFaultInjection.optional(),
    mirror: Destination.optional(),
    mirrors: z.array(HTTPMirrorPolicy).optional(),
    mirrorPercentage: Percent.optional(),
    mirrorPercent: int(0, 100).optional(),
    corsPolicy: CorsPolicy.optional(),
    headers: Headers.optional(),
  })
  .superRefine((r, ctx) => {
    const actions = (['route', 'redirect', 'directResponse', 'delegate'] as const).filter(
      (k) => r[k] !== undefined,
    );
    if (actions.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'must set one of route, redirect, directResponse, delegate',
      });
    if (actions.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: [actions[1]!],
        message: `cannot be set together with ${actions[0]}`,
      });
    if (r.mirror && r.mirrors)
      ctx.addIssue({
        code: 'custom',
        path: ['mirrors'],
        message: 'cannot be set together with mirror',
      });
  });

const L4Match = {
  destinationSubnets: z.array(z.string()).optional(),
  port: port().optional(),
  sourceLabels: labels().optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
};

export const RouteDestination = z.strictObject({
  destination: Destination,
  weight: int(0, 100).optional(),
});

export const TLSRoute = z.strictObject({
  match: z
    .array(
      z.strictObject({
        sniHosts: z.array(z.string()).min(1, 'must list at least one SNI host'),
        ...L4Match,
      }),
    )
    .min(1, 'must have at least one match'),
  route: z.array(RouteDestination).min(1, 'must have at least one destination'),
});

export const TCPRoute = z.strictObject({
  match: z.array(z.strictObject({ ...L4Match, sourceSubnet: z.string().optional() })).optional(),
  route: z.array(RouteDestination).min(1, 'must have at least one destination'),
});

export const VirtualServiceSpec = z.strictObject({
  hosts: z.array(z.string().min(1, 'must not be empty')).optional(),
  gateways: z.array(z.string()).optional(),
  http: z.array(HTTPRoute).optional(),
  tls: z.array(TLSRoute).optional(),
  tcp: z.array(TCPRoute).optional(),
  exportTo: exportTo().optional(),
});

export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpec>;
export type HTTPRoute = z.infer<typeof HTTPRoute>;
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequest>;
export type HTTPRouteDestination = z.infer<typeof HTTPRouteDestination>;
export type Destination = z.infer<typeof Destination>;
export type TCPRoute = z.infer<typeof TCPRoute>;
export type TLSRoute = z.infer<typeof TLSRoute>;
export type Headers = z.infer<typeof Headers>;
