// security.istio.io AuthorizationPolicy, with Istio's own admission checks
// (pkg/config/validation ValidateAuthorizationPolicy): `from.source` and
// `to.operation` present and not empty, known `when` keys, IPs, ports, and for
// action CUSTOM a provider, rules, and none of the fields CUSTOM cannot use.
import { isIP } from 'node:net';
import { z } from 'zod';
import { enumOf, labels } from '../schema-kit.ts';

/** `10.0.0.1` or `10.0.0.0/16` (IPv4 or IPv6), as ipBlocks and source.ip take. */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  const ip = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = value.slice(slash + 1);
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const isPortText = (v: string): boolean => /^\d{1,5}$/.test(v) && Number(v) <= 65535;

const values = () => z.array(z.string().min(1, 'must not be empty'));
const ipBlocks = () =>
  z.array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR range'));
const ports = () => z.array(z.string().refine(isPortText, 'must be a port number 0..65535'));

/** istio.type.v1beta1.WorkloadSelector, as the security kinds spell it (`matchLabels`). */
export const MatchLabelsSelector = z.strictObject({ matchLabels: labels().optional() });

export const PolicyTargetReference = z.strictObject({
  group: z.string().optional(),
  kind: z.string().min(1, 'must not be empty'),
  name: z.string().min(1, 'must not be empty'),
  namespace: z.string().optional(),
});

/** Istio's rule for the policy kinds: a selector or target references, never both. */
export function checkSelectorOrTargetRefs(
  spec: {
    selector?: unknown;
    targetRef?: unknown;
    targetRefs?: readonly unknown[];
  },
  ctx: z.RefinementCtx,
): void {
  if (spec.selector && (spec.targetRef || spec.targetRefs?.length))
    ctx.addIssue({
      code: 'custom',
      path: ['selector'],
      message: 'cannot be set together with targetRef or targetRefs',
    });
}

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const;

export const Source = z
  .strictObject({
    principals: values().optional(),
    notPrincipals: values().optional(),
    requestPrincipals: values().optional(),
    notRequestPrincipals: values().optional(),
    namespaces: values().optional(),
    notNamespaces: values().optional(),
    serviceAccounts: values().optional(),
    notServiceAccounts: values().optional(),
    ipBlocks: ipBlocks().optional(),
    notIpBlocks: ipBlocks().optional(),
    remoteIpBlocks: ipBlocks().optional(),
    notRemoteIpBlocks: ipBlocks().optional(),
  })
  .refine((s) => SOURCE_FIELDS.some((f) => (s[f]?.length ?? 0) > 0), 'must not be empty');

const OPERATION_FIELDS = [
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
] as const;

export const Operation = z
  .strictObject({
    hosts: values().optional(),
    notHosts: values().optional(),
    ports: ports().optional(),
    notPorts: ports().optional(),
    methods: values().optional(),
    notMethods: values().optional(),
    paths: values().optional(),
    notPaths: values().optional(),
  })
  .refine((o) => OPERATION_FIELDS.some((f) => (o[f]?.length ?? 0) > 0), 'must not be empty');

/** The `when` keys Istio's authorization accepts; `[…]` takes a header or claim name. */
const WHEN_KEYS = [
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'source.serviceAccount',
  'destination.ip',
  'destination.port',
  'connection.sni',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
];
const BRACKETED =
  /^(request\.headers|request\.auth\.claims)(\[[^\[\]]+\])+$|^experimental\.envoy\.filters\.[\w.]+\[[^\[\]]+\]$/;

export function isKnownWhenKey(key: string): boolean {
  if (WHEN_KEYS.includes(key)) return true;
  const m = BRACKETED.exec(key);
  // Only claims nest (`request.auth.claims[a][b]`); a header has exactly one name.
  return m !== null && (m[1] !== 'request.headers' || key.indexOf('[') === key.lastIndexOf('['));
}

export const Condition = z
  .strictObject({
    key: z
      .string()
      .refine(
        isKnownWhenKey,
        'is not an attribute AuthorizationPolicy supports (see Istio "Authorization Policy Conditions")',
      ),
    values: values().optional(),
    notValues: values().optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.values?.length && !c.notValues?.length)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `at least one of values or notValues must be set for key ${c.key}`,
      });
    const check = (
      list: string[] | undefined,
      field: 'values' | 'notValues',
      ok: (v: string) => boolean,
      what: string,
    ) =>
      list?.forEach((v, i) => {
        if (!ok(v))
          ctx.addIssue({
            code: 'custom',
            path: [field, i],
            message: `must be ${what} for key ${c.key}`,
          });
      });
    const isIpKey = ['source.ip', 'remote.ip', 'destination.ip'].includes(c.key);
    if (isIpKey)
      for (const f of ['values', 'notValues'] as const)
        check(c[f], f, isIpOrCidr, 'an IP address or CIDR range');
    if (c.key === 'destination.port')
      for (const f of ['values', 'notValues'] as const) check(c[f], f, isPortText, 'a port number');
  });

export const Rule = z.strictObject({
  from: z.array(z.strictObject({ source: Source })).optional(),
  to: z.array(z.strictObject({ operation: Operation })).optional(),
  when: z.array(Condition).optional(),
});

/**
 * What Istio's validation refuses in a CUSTOM policy's rules: identities (the
 * authorizer is asked before the request is authenticated) and request.auth.*.
 */
const CUSTOM_UNSUPPORTED_SOURCE = [
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
] as const;
const CUSTOM_UNSUPPORTED_KEYS = ['source.namespace', 'source.serviceAccount', 'source.principal'];

function checkCustomRules(rules: AuthorizationRule[] | undefined, ctx: z.RefinementCtx): void {
  if (!rules?.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['rules'],
      message:
        'must be set with action CUSTOM (without rules it never triggers; an empty rule {} checks every request)',
    });
    return;
  }
  const unsupported = (path: (string | number)[], what: string) =>
    ctx.addIssue({ code: 'custom', path, message: `${what} is not supported with action CUSTOM` });
  rules.forEach((rule, i) => {
    rule.from?.forEach((from, j) => {
      for (const field of CUSTOM_UNSUPPORTED_SOURCE)
        if (from.source[field]?.length)
          unsupported(['rules', i, 'from', j, 'source', field], field);
    });
    rule.when?.forEach((c, k) => {
      if (CUSTOM_UNSUPPORTED_KEYS.includes(c.key) || c.key.startsWith('request.auth.'))
        unsupported(['rules', i, 'when', k, 'key'], c.key);
    });
  });
}

export const AuthorizationPolicySpec = z
  .strictObject({
    selector: MatchLabelsSelector.optional(),
    targetRef: PolicyTargetReference.optional(),
    targetRefs: z.array(PolicyTargetReference).optional(),
    rules: z.array(Rule).optional(),
    action: enumOf(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).optional(),
    provider: z.strictObject({ name: z.string().min(1, 'must not be empty') }).optional(),
  })
  .superRefine((spec, ctx) => {
    checkSelectorOrTargetRefs(spec, ctx);
    if (spec.action === 'CUSTOM') checkCustomRules(spec.rules, ctx);
    if (spec.action === 'CUSTOM' && !spec.provider)
      ctx.addIssue({
        code: 'custom',
        path: ['provider'],
        message: 'is required with action CUSTOM',
      });
    if (spec.action !== 'CUSTOM' && spec.provider)
      ctx.addIssue({
        code: 'custom',
        path: ['provider'],
        message: 'is only allowed with action CUSTOM',
      });
  });

export type AuthorizationPolicySpec = z.infer<typeof AuthorizationPolicySpec>;
export type AuthorizationRule = z.infer<typeof Rule>;
export type AuthorizationSource = z.infer<typeof Source>;
export type AuthorizationOperation = z.infer<typeof Operation>;
export type AuthorizationCondition = z.infer<typeof Condition>;
