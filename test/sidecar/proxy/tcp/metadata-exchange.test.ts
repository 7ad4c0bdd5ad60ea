// Istio's TCP metadata exchange between two Petrel data paths over real mTLS: a
// client sidecar (outbound tcp_proxy, ISTIO_MUTUAL cluster with the upstream
// metadata_exchange filter) and a server sidecar (inbound chain with the downstream
// filter, as Istio sends it inside a TypedStruct). Each side's istio_tcp_* metrics
// name the other workload; the app sees only its own bytes; a TLS peer without the
// exchange, or without the ALPN, still gets through untouched.
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { MxParser, mxFrame } from '../../../../sidecar/proxy/tcp/mx-wire.ts';
import { TcpPeerMetadata } from '../../../../sidecar/telemetry/tcp-peer-exchange.ts';
import { Telemetry } from '../../../../sidecar/telemetry/telemetry.ts';
import { apply, staticCluster, TCP_PROXY, TypeUrl, type ProxyConfig } from '../support/envoy.ts';
import {
  identitySecrets,
  mtlsClientSocket,
  mtlsServerSocket,
  testCa,
  type Issued,
  type TestCa,
} from '../tls/support/certs.ts';
import { nodeId, nodeMetadata } from '../../telemetry/support/records.ts';

const ID = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;
const MX_FILTER = {
  name: 'istio.metadata_exchange',
  typed_config: {
    '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
    type_url: 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange',
    value: { protocol: 'istio-peer-exchange' },
  },
};
const INBOUND = 'inbound|5432||';
const OUTBOUND = 'outbound|5432||db.default.svc.cluster.local';

let ca: TestCa;
let clientCert: Issued;
let app: net.Server;
let received = '';
const proxies: { dp: ProxyDataPlane; telemetry: Telemetry }[] = [];
let server: (typeof proxies)[number];
let client: (typeof proxies)[number];
let serverPort: number;
let clientPort: number;

function tcpProxy(name: string, cluster: string) {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: { '@type': TCP_PROXY, stat_prefix: name, cluster },
  };
}

/** A data path wired to its own telemetry as `petrel proxy` wires it. */
async function sidecar(
  app: string,
  sa: string,
  cfg: ProxyConfig,
): Promise<(typeof proxies)[number] & { port: number }> {
  const md = { ...nodeMetadata(app, 'v1'), SERVICE_ACCOUNT: sa };
  const telemetry = new Telemetry({ node: { id: nodeId(app, '10.0.0.9'), metadata: md } });
  const p = { dp: new ProxyDataPlane() };
  const errors = await apply(
    p.dp,
    TypeUrl.Secret,
    identitySecrets(await ca.workload('default', sa)),
  );
  expect(errors).toEqual([]);
  for (const [t, list] of [
    [TypeUrl.Cluster, cfg.clusters ?? []],
    [TypeUrl.Listener, cfg.listeners],
  ] as const)
    expect(await apply(p.dp, t, [...list])).toEqual([]);
  p.dp.onRequestComplete = telemetry.onRequestComplete;
  p.dp.telemetry = {
    onRequestHeaders: telemetry.onRequestHeaders,
    onResponseHeaders: telemetry.onResponseHeaders,
    onTcpConnected: telemetry.onTcpConnected,
  };
  p.dp.peerExchange = new TcpPeerMetadata({
    nodeId: nodeId(app, '10.0.0.9'),
    local: telemetry.local,
  });
  const proxy = { dp: p.dp, telemetry };
  proxies.push(proxy);
  return { ...proxy, port: p.dp.listenerAddress(cfg.listeners[0]!.name as string)!.port };
}

beforeAll(async () => {
  ca = await testCa();
  clientCert = await ca.workload('default', 'stranger');
  app = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      s.write(`echo:${d.toString('latin1')}`);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as net.AddressInfo).port;
  const s = await sidecar('db', 'db', {
    clusters: [staticCluster(INBOUND, [['127.0.0.1', appPort]])],
    listeners: [
      {
        '@type': TypeUrl.Listener,
        name: 'virtualInbound',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        traffic_direction: 'INBOUND',
        filter_chains: [
          {
            transport_socket: mtlsServerSocket({ alpn: ['istio-peer-exchange', 'h2', 'http/1.1'] }),
            filters: [MX_FILTER, tcpProxy('inbound', INBOUND)],
          },
        ],
      },
    ],
  });
  server = s;
  serverPort = s.port;
  const c = await sidecar('client', 'client', {
    clusters: [
      staticCluster(OUTBOUND, [['127.0.0.1', serverPort]], {
        transport_socket: mtlsClientSocket({ sans: [ID('db')] }),
        filters: [MX_FILTER],
      }),
    ],
    listeners: [
      {
        '@type': TypeUrl.Listener,
        name: 'outbound_5432',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        traffic_direction: 'OUTBOUND',
        filter_chains: [{ filters: [tcpProxy('outbound', OUTBOUND)] }],
      },
    ],
  });
  client = c;
  clientPort = c.port;
});

afterAll(async () => {
  for (const p of proxies) p.dp.close();
  app?.close();
  ca?.close();
});

/** Writes `text` on `socket` and resolves with what came back once it holds `until`. */
function talk(socket: net.Socket, text: string, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (got.includes(until)) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData).once('error', reject);
    socket.write(text);
  });
}

/** A workload holding a mesh certificate, talking mTLS to the server sidecar directly. */
async function meshPeer(alpn: string[]): Promise<tls.TLSSocket> {
  const s = tls.connect({
    host: '127.0.0.1',
    port: serverPort,
    cert: clientCert.certPem,
    key: clientCert.keyPem,
    ca: clientCert.rootPem,
    ALPNProtocols: alpn,
    checkServerIdentity: () => undefined,
  });
  await new Promise<void>((r) => s.once('secureConnect', r));
  return s;
}

async function eventually(read: () => string, re: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = read();
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  return text;
}

const opened = (t: Telemetry) =>
  t
    .prometheus()
    .split('\n')
    .filter((l) => l.startsWith('istio_tcp_connections_opened_total{'))
    .join('\n');

describe('TCP metadata exchange (istio-peer-exchange)', () => {
  it("puts each side's workload in the other's istio_tcp metrics and keeps the app's bytes clean", async () => {
    received = '';
    const s = net.connect(clientPort, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', r));
    expect(await talk(s, 'hello', 'echo:hello')).toBe('echo:hello');
    expect(received).toBe('hello');
    const dest = await eventually(() => opened(server.telemetry), /source_workload="client-v1"/);
    expect(dest).toMatch(/reporter="destination"[^}]*source_workload="client-v1"/);
    expect(dest).toContain(`source_principal="${ID('client')}"`);
    expect(dest).toContain('source_canonical_service="client"');
    const src = await eventually(() => opened(client.telemetry), /destination_workload="db-v1"/);
    expect(src).toMatch(/reporter="source"[^}]*destination_workload="db-v1"/);
    expect(src).toContain(`destination_principal="${ID('db')}"`);
    s.destroy();
    const stats = Object.fromEntries(server.dp.stats().map((x) => [x.name, x.value]));
    expect(stats['metadata_exchange.alpn_protocol_found']).toBeGreaterThanOrEqual(1);
    expect(stats['metadata_exchange.metadata_added']).toBeGreaterThanOrEqual(1);
  });

  it('passes the bytes of an mTLS peer that offers no istio-peer-exchange on untouched, with no exchange', async () => {
    received = '';
    const before = opened(server.telemetry);
    const s = await meshPeer(['istio']);
    // The server writes nothing of its own: the first bytes are the app's.
    expect(await talk(s, 'plain', 'echo:plain')).toBe('echo:plain');
    expect(received).toBe('plain');
    s.destroy();
    const after = await eventually(() => opened(server.telemetry), /sa\/stranger/);
    expect(after).not.toBe(before);
    expect(after).toMatch(
      /source_workload="unknown"[^}]*source_principal="spiffe:\/\/cluster\.local\/ns\/default\/sa\/stranger"/,
    );
  });

  it('treats a peer that negotiates the ALPN but sends no header as application data', async () => {
    received = '';
    const s = await meshPeer(['istio-peer-exchange']);
    expect(s.alpnProtocol).toBe('istio-peer-exchange');
    const reply = await talk(s, 'ping', 'echo:ping');
    // What the server sidecar says first is its own MX frame, then the app's answer.
    const parsed = new MxParser().push(Buffer.from(reply, 'latin1'));
    expect(parsed.state).toBe('done');
    if (parsed.state === 'done') {
      expect(parsed.rest.toString('latin1')).toBe('echo:ping');
      const peer = new TcpPeerMetadata({ nodeId: '', local: client.telemetry.local });
      expect(peer.peerFrom(parsed.payload)).toMatchObject({
        workloadName: 'db-v1',
        namespace: 'default',
      });
    }
    expect(received).toBe('ping');
    s.destroy();
  });

  it('frames a payload as magic, length and bytes, and finds it across chunk boundaries', () => {
    const frame = Buffer.concat([mxFrame(Buffer.from('abc')), Buffer.from('data')]);
    const p = new MxParser();
    expect(p.push(frame.subarray(0, 3))).toEqual({ state: 'more' });
    expect(p.push(frame.subarray(3, 9))).toEqual({ state: 'more' });
    const r = p.push(frame.subarray(9));
    expect(r.state).toBe('done');
    if (r.state === 'done') {
      expect(r.payload.toString()).toBe('abc');
      expect(r.rest.toString()).toBe('data');
    }
    expect(frame.readUInt32BE(0)).toBe(0x3d230467);
    expect(new MxParser().push(Buffer.from('GET / HTTP/1.1'))).toMatchObject({ state: 'invalid' });
  });
});
