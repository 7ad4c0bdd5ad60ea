import { X509Certificate, createPrivateKey } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeResource } from '../../../api/envoy/registry.ts';
import { WorkloadIdentity } from '../../../sidecar/identity/workload-identity.ts';
import type { WorkloadIdentityOptions } from '../../../sidecar/identity/workload-identity.ts';
import { IdentityError } from '../../../sidecar/identity/errors.ts';
import { SECRET_TYPE_URL } from '../../../sidecar/identity/secrets.ts';
import type { EnvoyResource } from '../../../sidecar/types.ts';
import { RecordingDataPlane, lines, startTestCa, waitFor } from './fixtures.ts';
import type { TestCa } from './fixtures.ts';

const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';

let ca: TestCa;
let identity: WorkloadIdentity | undefined;

beforeEach(async () => {
  ca = await startTestCa();
});
afterEach(async () => {
  identity?.stop();
  identity = undefined;
  await ca.close();
});

function options(extra: Partial<WorkloadIdentityOptions> = {}): WorkloadIdentityOptions {
  return {
    namespace: 'default',
    serviceAccount: 'sleep',
    ca: { address: ca.address, rootCertPem: ca.server.rootCertPem() },
    token: 'sleep-token',
    retry: { initialMs: 100, maxMs: 400 },
    ...extra,
  };
}

const pem = (r: EnvoyResource, ...keys: string[]): string => {
  let v: unknown = r;
  for (const k of keys) v = (v as Record<string, unknown>)[k];
  return Buffer.from((v as { inline_bytes: string }).inline_bytes, 'base64').toString();
};

const serialOf = (resources: ReadonlyMap<string, EnvoyResource>): string =>
  new X509Certificate(pem(resources.get('default')!, 'tls_certificate', 'certificate_chain'))
    .serialNumber;

describe('WorkloadIdentity', () => {
  it("gets a certificate for its SPIFFE ID and pushes Istio's `default` and `ROOTCA` Secrets", async () => {
    const dp = new RecordingDataPlane();
    identity = await WorkloadIdentity.start(options({ dataPlanes: [dp] }));
    expect(dp.pushes).toHaveLength(1);
    const { typeUrl, resources } = dp.pushes[0]!;
    expect(typeUrl).toBe(SECRET_TYPE_URL);
    expect([...resources.keys()]).toEqual(['default', 'ROOTCA']);
    // Both are valid Envoy Secrets (the registry encodes with the real protos and their validate rules).
    for (const r of resources.values()) expect(() => encodeResource(r)).not.toThrow();

    const chainPem = pem(resources.get('default')!, 'tls_certificate', 'certificate_chain');
    const keyPem = pem(resources.get('default')!, 'tls_certificate', 'private_key');
    const rootPem = pem(resources.get('ROOTCA')!, 'validation_context', 'trusted_ca');
    const leaf = new X509Certificate(chainPem);
    expect(leaf.subjectAltName).toBe(`URI:${SLEEP}`);
    expect(leaf.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(rootPem).toBe(ca.server.rootCertPem());
    expect(leaf.verify(new X509Certificate(rootPem).publicKey)).toBe(true);
    expect(identity.current().spiffeId).toBe(SLEEP);
    // Rotation is planned at half the 24 h lifetime, up to 10% earlier (jitter).
    const { notBefore, notAfter } = identity.current();
    const life = notAfter.getTime() - notBefore.getTime();
    expect(life).toBe(24 * 3600 * 1000);
    const at = identity.nextRotation()!.getTime() - notBefore.getTime();
    expect(at).toBeGreaterThanOrEqual(0.45 * life - 1000);
    expect(at).toBeLessThanOrEqual(0.5 * life + 1000);
  });

  it('rotates a short-lived (2 s) certificate again and again, each new certificate pushed before the previous one expires', async () => {
    const dp = new RecordingDataPlane();
    identity = await WorkloadIdentity.start(options({ dataPlanes: [dp], validitySeconds: 2 }));
    await waitFor(() => dp.pushes.length >= 3);
    identity.stop();
    for (let i = 1; i < dp.pushes.length; i++) {
      const prev = new X509Certificate(
        pem(dp.pushes[i - 1]!.resources.get('default')!, 'tls_certificate', 'certificate_chain'),
      );
      const next = new X509Certificate(
        pem(dp.pushes[i]!.resources.get('default')!, 'tls_certificate', 'certificate_chain'),
      );
      expect(next.serialNumber).not.toBe(prev.serialNumber);
      // No gap: the old certificate was still valid when its successor arrived, and the successor already was.
      expect(dp.pushes[i]!.at).toBeLessThan(Date.parse(prev.validTo));
      expect(Date.parse(next.validFrom)).toBeLessThanOrEqual(dp.pushes[i]!.at);
      expect(next.subjectAltName).toBe(`URI:${SLEEP}`);
    }
    // Every rotation used a new key, too.
    const keys = new Set(
      dp.pushes.map((p) => pem(p.resources.get('default')!, 'tls_certificate', 'private_key')),
    );
    expect(keys.size).toBe(dp.pushes.length);
  });

  it('renews with its current certificate once the token file is gone', async () => {
    const tokenFile = path.join(ca.stateDir, 'istio-token');
    await writeFile(tokenFile, 'sleep-token\n');
    identity = await WorkloadIdentity.start(options({ token: undefined, tokenFile }));
    const first = identity.current().serial;
    await rm(tokenFile);
    const renewed = await identity.rotateNow();
    expect(renewed.serial).not.toBe(first);
    expect(ca.log.lines.some((l) => l.includes(`issued ${SLEEP} (client-cert`))).toBe(true);
  });

  it('keeps serving the current certificate while the CA is down, and recovers with backoff', async () => {
    const dp = new RecordingDataPlane();
    const log = lines();
    identity = await WorkloadIdentity.start(options({ dataPlanes: [dp], log }));
    const before = identity.current();
    const port = ca.server.port;
    await ca.server.stop();

    const err = await identity.rotateNow().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).code).toBe('PETREL_IDENTITY_CA_CALL');
    expect(identity.current()).toBe(before);
    expect(dp.pushes).toHaveLength(1);
    expect(
      log.lines.some(
        (l) =>
          l.startsWith(`warn identity: rotating ${SLEEP} failed`) && l.includes('stays in use'),
      ),
    ).toBe(true);

    await ca.restart(port);
    await waitFor(() => dp.pushes.length === 2);
    expect(identity.current().serial).not.toBe(before.serial);
  });

  it('gives up after initialAttempts when the CA refuses the token', async () => {
    const err = await WorkloadIdentity.start(options({ token: 'stolen', initialAttempts: 2 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).code).toBe('PETREL_IDENTITY_CA_CALL');
    expect((err as IdentityError).grpcCode).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('ends start() when stopped while still retrying', async () => {
    const w = new WorkloadIdentity(options({ token: 'stolen' }));
    const started = w.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitFor(() => ca.log.lines.some((l) => l.includes('unauthenticated')));
    w.stop();
    expect(((await started) as IdentityError).code).toBe('PETREL_IDENTITY_STOPPED');
  });

  it('refuses to start without a CA root', () => {
    expect(() => new WorkloadIdentity({ ...options(), ca: { address: ca.address } })).toThrow(
      /CA root certificate is needed/,
    );
  });

  it('gives a data path added later the current Secrets at once', async () => {
    identity = await WorkloadIdentity.start(options());
    const dp = new RecordingDataPlane();
    expect(identity.addDataPlane(dp).errors).toEqual([]);
    expect(serialOf(dp.pushes[0]!.resources)).toBe(identity.current().serial);
  });
});
