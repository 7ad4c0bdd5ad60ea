// security.istio.io RequestAuthentication: which JWTs a workload accepts. As in
// Istio, a request without a token passes (an AuthorizationPolicy decides whether
// one is required); a request with an invalid token is rejected with 401.
import { z } from 'zod';
import { duration } from '../schema-kit.ts';
import {
  MatchLabelsSelector,
  PolicyTargetReference,
  checkSelectorOrTargetRefs,
} from './authorization-policy.ts';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerName = () => z.string().regex(HEADER_NAME, 'must be a valid HTTP header name');

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** An inline JWKS must be a JSON object with a `keys` array (RFC 7517 §5). */
function isJwks(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && Array.isArray((v as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}

export const JWTRule = z
  .strictObject({
    issuer: z.string().min(1, 'is required'),
    audiences: z.array(z.string().min(1, 'must not be empty')).optional(),
    jwksUri: z.string().refine(isHttpUrl, 'must be an http:// or https:// URL').optional(),
    jwks: z
      .string()
      .refine(isJwks, 'must be a JSON Web Key Set: a JSON object with a "keys" array')
      .optional(),
    fromHeaders: z
      .array(z.strictObject({ name: headerName(), prefix: z.string().optional() }))
      .optional(),
    fromParams: z.array(z.string().min(1, 'must not be empty')).optional(),
    fromCookies: z.array(z.string().min(1, 'must not be empty')).optional(),
    outputPayloadToHeader: headerName().optional(),
    forwardOriginalToken: z.boolean().optional(),
    outputClaimToHeaders: z
      .array(
        z.strictObject({ header: headerName(), claim: z.string().min(1, 'must not be empty') }),
      )
      .optional(),
    timeout: duration().optional(),
    spaceDelimitedClaims: z.array(z.string().min(1, 'must not be empty')).optional(),
  })
  // istiod would find the keys through the issuer's OpenID discovery document; Petrel
  // does not, so a rule without keys would reject every token: say so at admission.
  .refine((r) => r.jwks !== undefined || r.jwksUri !== undefined, {
    message:
      "needs jwksUri or jwks (Petrel does not discover keys through the issuer's OpenID configuration)",
  });

export const RequestAuthenticationSpec = z
  .strictObject({
    selector: MatchLabelsSelector.optional(),
    targetRef: PolicyTargetReference.optional(),
    targetRefs: z.array(PolicyTargetReference).optional(),
    jwtRules: z.array(JWTRule).optional(),
  })
  .superRefine(checkSelectorOrTargetRefs);

export type RequestAuthenticationSpec = z.infer<typeof RequestAuthenticationSpec>;
export type JWTRule = z.infer<typeof JWTRule>;
