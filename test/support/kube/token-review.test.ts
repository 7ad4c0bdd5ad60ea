// The double is only as good as its faithfulness: these drive it through
// @kubernetes/client-node exactly as product code does.
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiServerDouble } from './api-server.ts';

let server: KubeApiServerDouble;
let kc: KubeConfig;

beforeEach(async () => {
  server = await KubeApiServerDouble.start();
  kc = server.kubeConfig();
});

afterEach(async () => {
  await server.close();
});

describe('TokenReview in the double', () => {
  it('reviews registered tokens for their audiences', async () => {
    server.registerToken('sa-token', {
      username: 'system:serviceaccount:default:bookinfo',
      groups: ['system:serviceaccounts'],
      audiences: ['istio-ca'],
    });
    const auth = kc.makeApiClient(AuthenticationV1Api);
    const ok = await auth.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: 'sa-token', audiences: ['istio-ca'] },
      },
    });
    expect(ok.status).toMatchObject({
      authenticated: true,
      user: { username: 'system:serviceaccount:default:bookinfo' },
      audiences: ['istio-ca'],
    });
    const wrongAudience = await auth.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: 'sa-token' },
      },
    });
    expect(wrongAudience.status?.authenticated).toBeFalsy();
    const unknown = await auth.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: 'nope', audiences: ['istio-ca'] },
      },
    });
    expect(unknown.status?.authenticated).toBeFalsy();
    expect(unknown.status?.error).toMatch(/invalid bearer token/);
  });
});
