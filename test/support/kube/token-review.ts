// TokenReview (authentication.k8s.io/v1): the API server says whether a bearer
// token is valid and for whom. Tokens are the ones a test registers, with the
// audiences they were issued for, as `kubectl create token --audience` makes them.
import { badRequest } from './status.ts';

export const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface TokenUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  /** Audiences the token is valid for; default: the API server's own. */
  audiences?: string[];
}

export class TokenRegistry {
  readonly #tokens = new Map<string, TokenUser>();

  register(token: string, user: TokenUser): void {
    this.#tokens.set(token, user);
  }

  revoke(token: string): void {
    this.#tokens.delete(token);
  }

  /** The user a bearer token authenticates as for API calls (audience: the API server). */
  userFor(token: string): TokenUser | undefined {
    const user = this.#tokens.get(token);
    return user && (user.audiences ?? [DEFAULT_AUDIENCE]).includes(DEFAULT_AUDIENCE)
      ? user
      : undefined;
  }

  /** POST /apis/authentication.k8s.io/v1/tokenreviews → the review with its status filled in. */
  review(body: unknown): unknown {
    const review = body as {
      apiVersion?: string;
      kind?: string;
      spec?: { token?: string; audiences?: string[] };
    };
    if (review?.kind !== 'TokenReview' || review.apiVersion !== 'authentication.k8s.io/v1') {
      throw badRequest(
        `the API version in the data (${String(review?.apiVersion)}) does not match the expected API version (authentication.k8s.io/v1)`,
      );
    }
    const token = review.spec?.token ?? '';
    const wanted = review.spec?.audiences?.length ? review.spec.audiences : [DEFAULT_AUDIENCE];
    const user = this.#tokens.get(token);
    const granted = user
      ? wanted.filter((a) => (user.audiences ?? [DEFAULT_AUDIENCE]).includes(a))
      : [];
    const status =
      user && granted.length > 0
        ? {
            authenticated: true,
            user: {
              username: user.username,
              ...(user.uid ? { uid: user.uid } : {}),
              groups: user.groups ?? ['system:authenticated'],
              ...(user.extra ? { extra: user.extra } : {}),
            },
            audiences: granted,
          }
        : {
            user: {},
            error: user
              ? '[invalid bearer token, token audiences are invalid]'
              : '[invalid bearer token, token lookup failed]',
          };
    return {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review.spec,
      status,
    };
  }
}
