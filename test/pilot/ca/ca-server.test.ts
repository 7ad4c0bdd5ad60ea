import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adsServiceDefinition, loadAdsPackage } from '../../../api/envoy/registry.ts';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { startCaServer } from '../../../pilot/ca/ca-server.ts';
import type { RunningCaServer } from '../../../pilot/ca/ca-server.ts';
import { callCreateCertificate, csrFor, grpcFailure, recordingLog, tempDir } from './fixtures.ts';
import type { RecordingLog } from './fixtures.ts';

const AX = 'spiffe://cluster.local/ns/a/sa/x';
const BY = 'spiffe://cluster.local/ns/b/sa/y';

let dir: string;
let cleanup: () => Promise<void>;
let server: RunningCaServer;
let log: RecordingLog;

/** Stands in for ADS on the shared port: answers each request with an empty response of its type. */
function trivialAds(s: grpc.Server): void {
  s.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<{ type_url: string }, unknown>) => {
      call.on('data', (req) =>
        call.write({ version_info: '1', type_url: req.type_url, nonce: 'n1', resources: [] }),
      );
      call.on('end', () => call.end());
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  log = recordingLog();
  server = await startCaServer({
    stateDir: dir,
    port: 0,
    bootstrapTokens: [
      { token: 'token-a-x', namespace: 'a', serviceAccount: 'x' },
      { token: 'token-b-y', namespace: 'b', serviceAccount: 'y' },
    ],
    services: [trivialAds],
    log,
  });
});

afterEach(async () => {
  await server.stop();
  await cleanup();
});

const call = (
  o: { token?: string; clientCert?: { certChainPem: string; keyPem: string }; serverName?: string },
  csrPem: string,
) => callCreateCertificate({ port: server.port, rootPem: server.rootCertPem(), ...o }, csrPem);

describe('CreateCertificate over TLS on the shared port', () => {
  it("issues the bootstrap token's identity, verifiable against the published root", async () => {
    const chain = await call({ token: 'token-a-x' }, (await csrFor(AX)).csrPem);
    const leaf = new X509Certificate(chain[0]!);
    expect(leaf.subjectAltName).toBe(`URI:${AX}`);
    expect(leaf.verify(new X509Certificate(server.rootCertPem()).publicKey)).toBe(true);
    expect(chain.at(-1)).toBe(server.rootCertPem());
    expect(
      log.lines.some((l) =>
        l.startsWith('info ca: issued spiffe://cluster.local/ns/a/sa/x (bootstrap-token'),
      ),
    ).toBe(true);
  });

  it("refuses a CSR for another workload's identity", async () => {
    const err = await grpcFailure(call({ token: 'token-a-x' }, (await csrFor(BY)).csrPem));
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toMatch(
      /^PETREL_CA_IDENTITY_MISMATCH: csr asks for url:spiffe:\/\/cluster.local\/ns\/b\/sa\/y/,
    );
  });

  it('refuses a caller with no credentials, with UNAUTHENTICATED and one log line', async () => {
    const err = await grpcFailure(call({}, (await csrFor(AX)).csrPem));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(log.lines.filter((l) => l.includes('unauthenticated'))).toHaveLength(1);
  });

  it('refuses an unknown token', async () => {
    const err = await grpcFailure(call({ token: 'guessed' }, (await csrFor(AX)).csrPem));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/unknown token/);
  });

  it('renews with the client certificate alone, for that identity only', async () => {
    const first = await csrFor(AX);
    const chain = await call({ token: 'token-a-x' }, first.csrPem);
    const clientCert = { certChainPem: chain.slice(0, -1).join(''), keyPem: first.keyPem };
    const renewed = await call({ clientCert }, (await csrFor(AX)).csrPem);
    expect(new X509Certificate(renewed[0]!).subjectAltName).toBe(`URI:${AX}`);
    expect(
      log.lines.some((l) => l.includes('issued spiffe://cluster.local/ns/a/sa/x (client-cert')),
    ).toBe(true);
    const err = await grpcFailure(call({ clientCert }, (await csrFor(BY)).csrPem));
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('does not take a certificate from another CA as identity', async () => {
    const { dir: otherDir, cleanup: c2 } = await tempDir();
    try {
      const other = await MeshCa.create({ stateDir: otherDir });
      const csr = await csrFor(AX);
      const foreign = await other.signCsr(csr.csrPem, { namespace: 'a', serviceAccount: 'x' });
      const err = await grpcFailure(
        call(
          { clientCert: { certChainPem: foreign[0]!, keyPem: csr.keyPem } },
          (await csrFor(AX)).csrPem,
        ),
      );
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      await c2();
    }
  });

  it("is served with pilot's certificate for istiod's DNS names and 127.0.0.1", async () => {
    const leaf = new X509Certificate(server.servingCertificate().certChainPem);
    expect(leaf.subjectAltName).toContain('DNS:istiod.istio-system.svc');
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(leaf.verify(new X509Certificate(server.rootCertPem()).publicKey)).toBe(true);
    // Dialled by name, as a proxy in a cluster does.
    const chain = await call(
      { token: 'token-b-y', serverName: 'istiod.istio-system.svc' },
      (await csrFor(BY)).csrPem,
    );
    expect(new X509Certificate(chain[0]!).subjectAltName).toBe(`URI:${BY}`);
  });

  it('a client that does not trust the mesh root cannot connect', async () => {
    const { dir: otherDir, cleanup: c2 } = await tempDir();
    try {
      const other = await MeshCa.create({ stateDir: otherDir });
      const err = await grpcFailure(
        callCreateCertificate(
          { port: server.port, rootPem: other.rootCertPem(), token: 'token-a-x' },
          (await csrFor(AX)).csrPem,
        ),
      );
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      await c2();
    }
  });

  it('serves a second service (ADS) on the same TLS port', async () => {
    const { AggregatedDiscoveryService } = loadAdsPackage();
    const client = new AggregatedDiscoveryService(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createSsl(Buffer.from(server.rootCertPem())),
    );
    try {
      const stream = (
        client as unknown as {
          StreamAggregatedResources(): grpc.ClientDuplexStream<
            unknown,
            { type_url: string; nonce: string }
          >;
        }
      ).StreamAggregatedResources();
      const typeUrl = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
      const first = new Promise<{ type_url: string; nonce: string }>((resolve, reject) => {
        stream.once('data', resolve);
        stream.once('error', reject);
      });
      stream.write({ node: { id: 'sidecar~10.0.0.1~a.a~a.svc.cluster.local' }, type_url: typeUrl });
      expect(await first).toMatchObject({ type_url: typeUrl, nonce: 'n1' });
      stream.cancel();
    } finally {
      client.close();
    }
  });
});
