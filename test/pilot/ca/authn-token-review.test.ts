import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCaServer } from '../../../pilot/ca/ca-server.ts';
import type { RunningCaServer } from '../../../pilot/ca/ca-server.ts';
import { parseServiceAccountUser } from '../../../pilot/ca/authn-token-review.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';
import { callCreateCertificate, csrFor, grpcFailure, recordingLog } from './fixtures.ts';
import type { RecordingLog } from './fixtures.ts';

let api: KubeApiServerDouble;
let server: RunningCaServer;
let log: RecordingLog;

beforeEach(async () => {
  api = await KubeApiServerDouble.start({
    namespaces: ['default', 'kube-system', 'istio-system', 'bookinfo'],
  });
  api.registerToken('reviews-token', {
    username: 'system:serviceaccount:bookinfo:reviews',
    audiences: ['istio-ca'],
  });
  api.registerToken('api-only-token', { username: 'system:serviceaccount:bookinfo:reviews' });
  api.registerToken('user-token', { username: 'jane@example.com', audiences: ['istio-ca'] });
  log = recordingLog();
  server = await startCaServer({ kube: api.kubeConfig(), port: 0, log });
});

afterEach(async () => {
  await server.stop();
  await api.close();
});

const REVIEWS = 'spiffe://cluster.local/ns/bookinfo/sa/reviews';
const call = (token: string, csrPem: string) =>
  callCreateCertificate({ port: server.port, rootPem: server.rootCertPem(), token }, csrPem);

describe('Kubernetes service-account tokens (TokenReview, audience istio-ca)', () => {
  it("issues the token's service account identity", async () => {
    const chain = await call('reviews-token', (await csrFor(REVIEWS)).csrPem);
    expect(new X509Certificate(chain[0]!).subjectAltName).toBe(`URI:${REVIEWS}`);
    const review = api.requests.find((r) =>
      r.startsWith('POST /apis/authentication.k8s.io/v1/tokenreviews'),
    );
    expect(review).toBeDefined();
  });

  it('refuses a token for another service account than the CSR', async () => {
    const err = await grpcFailure(
      call('reviews-token', (await csrFor('spiffe://cluster.local/ns/bookinfo/sa/ratings')).csrPem),
    );
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('refuses a token not minted for istio-ca', async () => {
    const err = await grpcFailure(call('api-only-token', (await csrFor(REVIEWS)).csrPem));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/token audiences are invalid/);
  });

  it('refuses a valid token of a user that is not a service account', async () => {
    const err = await grpcFailure(call('user-token', (await csrFor(REVIEWS)).csrPem));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/jane@example.com is not a service account/);
    expect(log.lines.filter((l) => l.startsWith('warn ca: unauthenticated'))).toHaveLength(1);
  });

  it('answers UNAVAILABLE, not UNAUTHENTICATED, when the API server is down', async () => {
    const csr = (await csrFor(REVIEWS)).csrPem;
    await api.close();
    const err = await grpcFailure(call('reviews-token', csr));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/^PETREL_CA_TOKEN_REVIEW: TokenReview failed/);
    api = await KubeApiServerDouble.start(); // afterEach closes it again
  });

  it('parses only service-account user names', () => {
    expect(parseServiceAccountUser('system:serviceaccount:ns1:sa1')).toEqual({
      namespace: 'ns1',
      serviceAccount: 'sa1',
    });
    expect(parseServiceAccountUser('system:serviceaccount:ns1')).toBeUndefined();
    expect(parseServiceAccountUser('system:serviceaccount:a:b:c')).toBeUndefined();
    expect(parseServiceAccountUser('admin')).toBeUndefined();
  });
});
