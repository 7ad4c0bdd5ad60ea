import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adsServiceDefinition, loadAdsPackage } from '../../../api/envoy/registry.ts';
import { startCaServer } from '../../../pilot/ca/ca-server.ts';
import type { RunningCaServer } from '../../../pilot/ca/ca-server.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let server: RunningCaServer;

function echoAds(s: grpc.Server): void {
  s.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (
      call: grpc.ServerDuplexStream<{ type_url: string; response_nonce?: string }, unknown>,
    ) => {
      let n = 0;
      call.on('data', (req) =>
        call.write({
          version_info: String(++n),
          type_url: req.type_url,
          nonce: `n${n}`,
          resources: [],
        }),
      );
      call.on('end', () => call.end());
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  server = await startCaServer({
    stateDir: dir,
    port: 0,
    bootstrapTokens: [],
    services: [echoAds],
    serving: { ttlSeconds: 2 },
  });
});
afterEach(async () => {
  await server.stop();
  await cleanup();
});

/** The serial of the certificate a fresh TLS handshake on the port presents. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerX509Certificate()!.serialNumber);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function waitFor<T>(read: () => T, done: (v: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("pilot's serving certificate on 15012", () => {
  it('renews at half-life: new handshakes get the new certificate, an open stream keeps working', async () => {
    const root = server.rootCertPem();
    const firstSerial = new X509Certificate(server.servingCertificate().certChainPem).serialNumber;
    expect(await servedSerial(server.port, root)).toBe(firstSerial);

    const { AggregatedDiscoveryService } = loadAdsPackage();
    const client = new AggregatedDiscoveryService(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createSsl(Buffer.from(root)),
    );
    const stream = (
      client as unknown as {
        StreamAggregatedResources(): grpc.ClientDuplexStream<unknown, { nonce: string }>;
      }
    ).StreamAggregatedResources();
    const responses: string[] = [];
    stream.on('data', (r) => responses.push(r.nonce));
    const errors: Error[] = [];
    stream.on('error', (e) => errors.push(e));
    const typeUrl = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    stream.write({
      node: { id: 'router~10.0.0.1~gw.istio-system~istio-system.svc.cluster.local' },
      type_url: typeUrl,
    });
    await waitFor(
      () => responses.length,
      (n) => n === 1,
    );

    const renewed = await waitFor(
      () => new X509Certificate(server.servingCertificate().certChainPem).serialNumber,
      (s) => s !== firstSerial,
    );
    expect(await servedSerial(server.port, root)).toBe(renewed);

    // The stream opened under the old certificate is still the same connection and still answers.
    stream.write({ type_url: typeUrl, response_nonce: 'n1', version_info: '1' });
    await waitFor(
      () => responses.length,
      (n) => n === 2,
    );
    expect(errors).toEqual([]);
    stream.cancel();
    client.close();
  });
});
