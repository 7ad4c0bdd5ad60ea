// What the mesh certificates are for: two workloads authenticate each other by
// SPIFFE identity over node:tls mutual TLS, and a certificate from another CA is refused.
import { createServer, connect } from 'node:tls';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spiffeServerIdentityCheck, uriSans } from '../../../api/istio/ca/spiffe.ts';
import { MeshCa } from '../../../pilot/ca/mesh-ca.ts';
import { csrFor, tempDir } from './fixtures.ts';

const PRODUCTPAGE = 'spiffe://cluster.local/ns/bookinfo/sa/productpage';
const REVIEWS = 'spiffe://cluster.local/ns/bookinfo/sa/reviews';

interface Workload {
  key: string;
  cert: string;
}

async function workload(
  ca: MeshCa,
  uri: string,
  namespace: string,
  serviceAccount: string,
): Promise<Workload> {
  const { csrPem, keyPem } = await csrFor(uri);
  const chain = await ca.signCsr(csrPem, { namespace, serviceAccount });
  return { key: keyPem, cert: chain.slice(0, -1).join('') };
}

let cleanups: Array<() => Promise<void>> = [];
let ca: MeshCa;
let foreignCa: MeshCa;

beforeEach(async () => {
  const a = await tempDir();
  const b = await tempDir();
  cleanups = [a.cleanup, b.cleanup];
  ca = await MeshCa.create({ stateDir: a.dir });
  foreignCa = await MeshCa.create({ stateDir: b.dir });
});
afterEach(async () => {
  for (const c of cleanups) await c();
});

/** A reviews server requiring client certs from the mesh; resolves with what each side saw. */
async function handshake(server: Workload, client: Workload, expectServer: string[]) {
  const seen: { peer?: string[]; authError?: string } = {};
  const srv = createServer(
    {
      key: server.key,
      cert: server.cert,
      ca: ca.rootCertPem(),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket: TLSSocket) => {
      // Checked by hand so the refusal can be observed (rejectUnauthorized would just hang up).
      if (!socket.authorized) {
        seen.authError = String(socket.authorizationError);
        socket.destroy();
        return;
      }
      seen.peer = uriSans(socket.getPeerCertificate() as PeerCertificate);
      socket.end('hello');
    },
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const result = await new Promise<{ ok: boolean; serverIds?: string[]; error?: string }>(
      (resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port: (srv.address() as AddressInfo).port,
          key: client.key,
          cert: client.cert,
          ca: ca.rootCertPem(),
          checkServerIdentity: spiffeServerIdentityCheck(expectServer),
        });
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('end', () =>
          resolve({ ok: data === 'hello', serverIds: uriSans(socket.getPeerCertificate()) }),
        );
        socket.on('error', (e) => resolve({ ok: false, error: e.message }));
        socket.on('close', () => resolve({ ok: data === 'hello' }));
      },
    );
    return { ...result, seen };
  } finally {
    srv.close();
  }
}

describe('mesh mTLS with issued certificates', () => {
  it('succeeds between two workloads, each seeing the other by SPIFFE ID', async () => {
    const reviews = await workload(ca, REVIEWS, 'bookinfo', 'reviews');
    const productpage = await workload(ca, PRODUCTPAGE, 'bookinfo', 'productpage');
    const r = await handshake(reviews, productpage, [REVIEWS]);
    expect(r.ok).toBe(true);
    expect(r.serverIds).toEqual([REVIEWS]);
    expect(r.seen.peer).toEqual([PRODUCTPAGE]);
  });

  it('refuses a client certificate from another CA', async () => {
    const reviews = await workload(ca, REVIEWS, 'bookinfo', 'reviews');
    const impostor = await workload(foreignCa, PRODUCTPAGE, 'bookinfo', 'productpage');
    const r = await handshake(reviews, impostor, [REVIEWS]);
    expect(r.ok).toBe(false);
    expect(r.seen.peer).toBeUndefined();
    expect(r.seen.authError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
  });

  it('refuses a server with a valid certificate for the wrong identity', async () => {
    const ratings = await workload(
      ca,
      'spiffe://cluster.local/ns/bookinfo/sa/ratings',
      'bookinfo',
      'ratings',
    );
    const productpage = await workload(ca, PRODUCTPAGE, 'bookinfo', 'productpage');
    const r = await handshake(ratings, productpage, [REVIEWS]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      /server identity spiffe:\/\/cluster.local\/ns\/bookinfo\/sa\/ratings is not one of/,
    );
  });
});
