// A TLS client context (UpstreamTls) and a TLS server (DownstreamTls behind a real
// listening socket) built from Envoy configs, for tests that look at single
// connections: resumption, identities, trust changes.
import net from 'node:net';
import type tls from 'node:tls';
import { Issues } from '../../../../../sidecar/proxy/config/issues.ts';
import {
  compileDownstreamTls,
  compileUpstreamTls,
} from '../../../../../sidecar/proxy/tls/context-spec.ts';
import {
  DownstreamTls,
  type DownstreamTlsInfo,
} from '../../../../../sidecar/proxy/tls/downstream.ts';
import type { TlsError } from '../../../../../sidecar/proxy/tls/errors.ts';
import type { SecretStore } from '../../../../../sidecar/proxy/tls/secret-store.ts';
import {
  UpstreamTls,
  type UpstreamConnectOptions,
} from '../../../../../sidecar/proxy/tls/upstream.ts';
import type { EnvoyResource } from '../../../../../sidecar/types.ts';

type Obj = Record<string, unknown>;

/** Applies Secret resources to a store, failing on any error line. */
export function applySecrets(store: SecretStore, secrets: EnvoyResource[]): void {
  const errors = store.apply(new Map(secrets.map((s) => [String(s.name), s as Obj])));
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

function compiled<T>(f: (cfg: Obj, issues: Issues) => T, socket: Obj): T {
  const issues = new Issues();
  const spec = f(socket.typed_config as Obj, issues);
  if (issues.count > 0) throw new Error(issues.lines.join('\n'));
  return spec;
}

export function upstreamTls(socket: Obj, store: SecretStore): UpstreamTls {
  return new UpstreamTls(compiled(compileUpstreamTls, socket), store);
}

export function downstreamTls(socket: Obj, store: SecretStore): DownstreamTls {
  return new DownstreamTls(compiled(compileDownstreamTls, socket), store);
}

/** What the server saw of one accepted connection. */
export interface Accepted {
  info: DownstreamTlsInfo;
  reused: boolean;
}

export interface TlsServer {
  port: number;
  /** The terminator new connections go through (swap it to change the server's identity). */
  tls: DownstreamTls;
  accepted: Accepted[];
  failures: TlsError[];
  close(): Promise<void>;
}

/** A listening socket whose connections `tls` terminates; each secured one is answered "ok" and ended. */
export async function tlsServer(terminator: DownstreamTls): Promise<TlsServer> {
  const sockets = new Set<net.Socket>();
  const out: TlsServer = {
    port: 0,
    tls: terminator,
    accepted: [],
    failures: [],
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = net.createServer({ noDelay: true }, (raw) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    out.tls.terminate(
      raw,
      (t, info) => {
        out.accepted.push({ info, reused: t.isSessionReused() });
        t.on('error', () => {});
        // Writing lets TLS 1.3 send its session tickets before the close.
        t.end('ok');
      },
      (err) => out.failures.push(err),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  out.port = (server.address() as net.AddressInfo).port;
  const close = out.close;
  out.close = () => {
    for (const s of sockets) s.destroy();
    return close();
  };
  return out;
}

export interface Dialled {
  reused: boolean;
  /** What onPeer was told: the verified server identity. */
  peer: string;
  /** The server certificate node gives back on this connection (undefined: none). */
  nodePeerCert: string | undefined;
}

/** One connection through `client`: resolves once the server's "ok" and close arrive. */
export function dial(
  client: UpstreamTls,
  port: number,
  extra: Partial<UpstreamConnectOptions> = {},
): Promise<Dialled> {
  return new Promise((resolve, reject) => {
    let peer = '';
    const { socket } = client.connect({ host: '127.0.0.1', port, ...extra }, (p) => (peer = p));
    const t = socket as tls.TLSSocket;
    let result: Dialled | undefined;
    t.once('secureConnect', () => {
      result = {
        reused: t.isSessionReused(),
        peer,
        nodePeerCert: t.getPeerX509Certificate()?.subjectAltName,
      };
    });
    t.on('data', () => {});
    t.once('error', reject);
    t.once('close', () => (result && !t.errored ? resolve(result) : reject(t.errored)));
  });
}
