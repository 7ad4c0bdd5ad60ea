// Validation of the security kinds and Petrel's LocalRateLimit: one line per
// problem naming the object and the field, as for every kind (api/istio/validate.ts).
import { describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { validateConfig } from '../../../../api/istio/validate.ts';

const obj = (kind: string, spec: unknown, apiVersion = 'security.istio.io/v1'): ConfigObject => ({
  apiVersion,
  kind,
  metadata: { name: 'p', namespace: 'ns' },
  spec,
});
const authz = (spec: unknown) => obj('AuthorizationPolicy', spec);
const authn = (spec: unknown) => obj('RequestAuthentication', spec);
const limit = (spec: unknown) => obj('LocalRateLimit', spec, 'petrel.dev/v1alpha1');

describe('AuthorizationPolicy validation', () => {
  it('accepts Istio policies, including an empty rule and an empty spec', () => {
    for (const spec of [
      {},
      { action: 'DENY', rules: [{}] },
      {
        selector: { matchLabels: { app: 'a' } },
        rules: [
          {
            from: [
              {
                source: {
                  principals: ['cluster.local/ns/a/sa/b'],
                  notIpBlocks: ['10.0.0.0/8', '::1'],
                },
              },
            ],
            to: [{ operation: { methods: ['GET'], ports: ['8080'] } }],
            when: [
              { key: 'request.auth.claims[groups][0]', values: ['x'] },
              { key: 'request.headers[x-a]', notValues: ['y'] },
              { key: 'source.ip', values: ['10.1.2.3'] },
            ],
          },
        ],
      },
    ])
      expect(validateConfig(authz(spec)).errors).toEqual([]);
  });

  it('names the field of each problem', () => {
    const r = validateConfig(
      authz({
        action: 'ALLOW',
        provider: { name: 'x' },
        rules: [
          {
            from: [{ source: {} }, { source: { ipBlocks: ['10.0.0.0/33'] } }],
            to: [{ operation: { ports: ['http'] } }],
            when: [
              { key: 'request.time', values: ['1'] },
              { key: 'destination.port', values: ['x'] },
              { key: 'source.ip' },
            ],
          },
        ],
      }),
    );
    expect(r.errors).toEqual([
      'authorizationpolicy ns/p: spec.rules[0].from[0].source: must not be empty',
      'authorizationpolicy ns/p: spec.rules[0].from[1].source.ipBlocks[0]: must be an IP address or CIDR range',
      'authorizationpolicy ns/p: spec.rules[0].to[0].operation.ports[0]: must be a port number 0..65535',
      'authorizationpolicy ns/p: spec.rules[0].when[0].key: is not an attribute AuthorizationPolicy supports (see Istio "Authorization Policy Conditions")',
      'authorizationpolicy ns/p: spec.rules[0].when[1].values[0]: must be a port number for key destination.port',
      'authorizationpolicy ns/p: spec.rules[0].when[2]: at least one of values or notValues must be set for key source.ip',
      'authorizationpolicy ns/p: spec.provider: is only allowed with action CUSTOM',
    ]);
  });

  it('accepts CUSTOM with a provider (no longer reported), and reports targetRef as not built', () => {
    const r = validateConfig(
      authz({
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
        targetRef: { kind: 'Gateway', name: 'gw' },
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'authorizationpolicy ns/p: spec.targetRef: not supported by Petrel yet; ignored',
    ]);
    expect(validateConfig(authz({ action: 'CUSTOM', rules: [{}] })).errors).toEqual([
      'authorizationpolicy ns/p: spec.provider: is required with action CUSTOM',
    ]);
  });

  it('refuses a CUSTOM policy without rules, as Istio does (it would never trigger)', () => {
    expect(validateConfig(authz({ action: 'CUSTOM', provider: { name: 'opa' } })).errors).toEqual([
      'authorizationpolicy ns/p: spec.rules: must be set with action CUSTOM (without rules it never triggers; an empty rule {} checks every request)',
    ]);
  });

  it('refuses the identity fields and request.auth conditions Istio does not support with CUSTOM', () => {
    const r = validateConfig(
      authz({
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [
          {
            from: [
              { source: { principals: ['cluster.local/ns/a/sa/b'], ipBlocks: ['10.0.0.0/8'] } },
              { source: { notNamespaces: ['x'], requestPrincipals: ['iss/sub'] } },
            ],
            when: [
              { key: 'source.ip', values: ['10.1.2.3'] },
              { key: 'source.serviceAccount', values: ['a/b'] },
              { key: 'request.auth.claims[groups]', values: ['admins'] },
            ],
          },
        ],
      }),
    );
    expect(r.errors).toEqual([
      'authorizationpolicy ns/p: spec.rules[0].from[0].source.principals: principals is not supported with action CUSTOM',
      'authorizationpolicy ns/p: spec.rules[0].from[1].source.notNamespaces: notNamespaces is not supported with action CUSTOM',
      'authorizationpolicy ns/p: spec.rules[0].from[1].source.requestPrincipals: requestPrincipals is not supported with action CUSTOM',
      'authorizationpolicy ns/p: spec.rules[0].when[1].key: source.serviceAccount is not supported with action CUSTOM',
      'authorizationpolicy ns/p: spec.rules[0].when[2].key: request.auth.claims[groups] is not supported with action CUSTOM',
    ]);
  });
});

describe('RequestAuthentication validation', () => {
  it('accepts rules with jwks or jwksUri, and no longer reports the kind as not enforced', () => {
    const r = validateConfig(
      authn({
        jwtRules: [
          {
            issuer: 'i',
            jwksUri: 'https://i.example/jwks',
            fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }],
            timeout: '2s',
          },
          {
            issuer: 'j',
            jwks: '{"keys":[]}',
            outputPayloadToHeader: 'x-payload',
            forwardOriginalToken: true,
          },
        ],
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('names the field of each problem', () => {
    const r = validateConfig(
      authn({
        jwtRules: [
          { issuer: '', jwksUri: 'ftp://x' },
          { issuer: 'i', jwks: '{"kty":"EC"}', outputPayloadToHeader: 'bad header' },
          { issuer: 'i' },
        ],
      }),
    );
    expect(r.errors).toEqual([
      'requestauthentication ns/p: spec.jwtRules[0].issuer: is required',
      'requestauthentication ns/p: spec.jwtRules[0].jwksUri: must be an http:// or https:// URL',
      'requestauthentication ns/p: spec.jwtRules[1].jwks: must be a JSON Web Key Set: a JSON object with a "keys" array',
      'requestauthentication ns/p: spec.jwtRules[1].outputPayloadToHeader: must be a valid HTTP header name',
      "requestauthentication ns/p: spec.jwtRules[2]: needs jwksUri or jwks (Petrel does not discover keys through the issuer's OpenID configuration)",
    ]);
  });
});

describe('LocalRateLimit validation (petrel.dev/v1alpha1)', () => {
  it('accepts a port bucket, route buckets, or both', () => {
    expect(
      validateConfig(limit({ tokenBucket: { maxTokens: 10, fillInterval: '1s' } })).errors,
    ).toEqual([]);
    expect(
      validateConfig(
        limit({
          ports: [80],
          routes: [
            { name: 'r', tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: '50ms' } },
          ],
        }),
      ).errors,
    ).toEqual([]);
  });

  it('names the field of each problem', () => {
    expect(validateConfig(limit({})).errors).toEqual([
      'localratelimit ns/p: spec: needs tokenBucket or routes',
    ]);
    expect(
      validateConfig(
        limit({ ports: [0], tokenBucket: { maxTokens: 0, fillInterval: 'soon' }, burst: 3 }),
      ).errors,
    ).toEqual([
      'localratelimit ns/p: spec.ports[0]: must be 1..65535',
      'localratelimit ns/p: spec.tokenBucket.maxTokens: must be 1..4294967295',
      'localratelimit ns/p: spec.tokenBucket.fillInterval: must be a duration of at least 50ms like "10ms", "1.5s" or "1m"',
      'localratelimit ns/p: spec.burst: unknown field',
    ]);
  });

  it('is served only as petrel.dev/v1alpha1', () => {
    expect(
      validateConfig({
        ...limit({ tokenBucket: { maxTokens: 1, fillInterval: '1s' } }),
        apiVersion: 'networking.istio.io/v1',
      }).errors,
    ).toEqual([
      'localratelimit ns/p: apiVersion networking.istio.io/v1, kind LocalRateLimit: not a kind Petrel accepts',
    ]);
  });
});
