// Pilot's TLS port (Istio's 15012): a proxy gets its workload certificate from the
// mesh CA and its config over ADS on the same TLS port, verifying pilot against
// the mesh root; a wrong bootstrap token gets no certificate.
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { startAgent, type Agent } from '../../sidecar/agent/agent.ts';
import { WorkloadIdentity } from '../../sidecar/identity/workload-identity.ts';
import { RecordingDataPlane } from '../sidecar/agent/support/recording-data-plane.ts';

let dir: string;
let pilot: RunningPilot;
let agent: Agent;
const dataPlane = new RecordingDataPlane();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-tls-'));
  cpSync('samples/mesh', join(dir, 'mesh'), { recursive: true });
  writeFileSync(join(dir, 'tokens'), 'tok-reviews default bookinfo-reviews\n');
  pilot = await startPilot({
    configDir: join(dir, 'mesh'),
    xdsPort: 0,
    xdsTlsPort: 0,
    monitoringPort: 0,
    ca: { stateDir: join(dir, 'ca'), bootstrapTokensFile: join(dir, 'tokens') },
  });
});

afterAll(async () => {
  await agent?.xds.close();
  await Promise.all([agent?.admin.close(), agent?.health.close(), agent?.status.close()]);
  await pilot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pilot's TLS port", () => {
  it("issues the caller's SPIFFE identity, chained to the root pilot publishes", async () => {
    const identity = await WorkloadIdentity.start({
      namespace: 'default',
      serviceAccount: 'bookinfo-reviews',
      ca: { address: `127.0.0.1:${pilot.xdsTlsPort}`, rootCertPem: pilot.rootCertPem },
      token: 'tok-reviews',
      initialAttempts: 1,
    });
    try {
      const leaf = new X509Certificate(identity.current().certChainPem);
      expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
      expect(leaf.verify(new X509Certificate(pilot.rootCertPem!).publicKey)).toBe(true);
      expect([...identity.secrets().keys()].sort()).toEqual(['ROOTCA', 'default']);
    } finally {
      identity.stop();
    }
  });

  it('refuses a certificate to a caller whose token names another identity', async () => {
    await expect(
      WorkloadIdentity.start({
        namespace: 'default',
        serviceAccount: 'bookinfo-ratings',
        ca: { address: `127.0.0.1:${pilot.xdsTlsPort}`, rootCertPem: pilot.rootCertPem },
        token: 'tok-reviews',
        initialAttempts: 1,
      }),
    ).rejects.toThrow();
  });

  it('serves xDS over the same TLS port to a proxy that verifies pilot against the mesh root', async () => {
    agent = await startAgent({
      xdsAddress: `127.0.0.1:${pilot.xdsTlsPort}`,
      credentials: grpc.credentials.createSsl(Buffer.from(pilot.rootCertPem!)),
      dataPlane,
      identity: {
        role: 'sidecar',
        podName: 'reviews-v1',
        namespace: 'default',
        ips: ['127.0.1.3'],
        labels: { app: 'reviews', version: 'v1' },
      },
      adminPort: 0,
      statusPort: 0,
      healthPort: 0,
      probeHost: '127.0.0.1',
      handleSignals: false,
      exit: () => {},
    });
    const deadline = Date.now() + 10_000;
    while (!agent.readiness.check().ready && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(agent.readiness.check().ready).toBe(true);
    expect(dataPlane.names('type.googleapis.com/envoy.config.cluster.v3.Cluster')).toContain(
      'outbound|9080|v2|reviews.default.svc.cluster.local',
    );
  });
});
