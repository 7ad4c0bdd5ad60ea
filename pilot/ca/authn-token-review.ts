// Kubernetes mode: the bearer token is a service-account token (Istio's projected
// istio-token, audience istio-ca); the API server's TokenReview says whose it is.
import { AuthenticationV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1TokenReview } from '@kubernetes/client-node';
import { CaError } from './errors.ts';
import { kubeMessage } from '../config/kube-client.ts';
import type { AuthnResult, Authenticator, Credentials } from './types.ts';

/** Istio's CA audience: tokens minted for it cannot be replayed against the API server. */
export const ISTIO_CA_AUDIENCE = 'istio-ca';

const SA_PREFIX = 'system:serviceaccount:';

/** `system:serviceaccount:<ns>:<sa>` → its parts; undefined for any other user. */
export function parseServiceAccountUser(
  username: string | undefined,
): { namespace: string; serviceAccount: string } | undefined {
  if (!username?.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], serviceAccount: parts[1] };
}

export class TokenReviewAuthenticator implements Authenticator {
  readonly name = 'token-review';
  readonly #api: AuthenticationV1Api;
  readonly #audiences: string[];

  constructor(kc: KubeConfig, options: { audiences?: string[] } = {}) {
    this.#api = kc.makeApiClient(AuthenticationV1Api);
    this.#audiences = options.audiences ?? [ISTIO_CA_AUDIENCE];
  }

  async authenticate(credentials: Credentials): Promise<AuthnResult> {
    if (!credentials.bearerToken) return { kind: 'skip' };
    let review: V1TokenReview;
    try {
      review = await this.#api.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: credentials.bearerToken, audiences: this.#audiences },
        },
      });
    } catch (err) {
      // The API server did not answer: the caller may be fine, so this is not UNAUTHENTICATED.
      throw new CaError('PETREL_CA_TOKEN_REVIEW', `TokenReview failed: ${kubeMessage(err)}`);
    }
    const status = review.status;
    if (!status?.authenticated)
      return { kind: 'fail', reason: `token review: ${status?.error ?? 'not authenticated'}` };
    // An API server that ignores spec.audiences answers with the token's own; require ours.
    if (status.audiences && !status.audiences.some((a) => this.#audiences.includes(a))) {
      return {
        kind: 'fail',
        reason: `token review: token audiences ${status.audiences.join(',')} do not include ${this.#audiences.join(',')}`,
      };
    }
    const sa = parseServiceAccountUser(status.user?.username);
    if (!sa)
      return {
        kind: 'fail',
        reason: `token review: ${status.user?.username ?? '(no user)'} is not a service account`,
      };
    return { kind: 'ok', caller: { ...sa, via: this.name } };
  }
}
