// One listener at run time: its socket (unless bind_to_port is false), its filter
// chains with their network filters and handlers, and the per-connection chain
// selection. An update that keeps the address swaps the chains: new connections
// take the new ones, existing connections drain on the old ones.
import net from 'node:net';
import { HttpConnectionHandler } from '../http/http-handler.ts';
import type { ConnectionInfo } from '../http/request-context.ts';
import { RequestRecord } from '../record.ts';
import type { OriginalDestination, ProxyRuntime } from '../runtime.ts';
import { TcpProxyHandler } from '../tcp/tcp-proxy.ts';
import { normalizeIp, selectChain, type ChainMatch } from './filter-chain-match.ts';
import type { ChainSpec, ListenerSpec } from './listener-spec.ts';
import { sniff, type Sniffed } from './sniff.ts';
import { DownstreamTls } from '../tls/downstream.ts';
import type { ConnectionHandler } from './types.ts';
import {
  admitConnection,
  buildNetworkFilters,
  startChainExchange,
  type NetworkFilters,
} from './network-filters.ts';

interface Chains {
  matches: ChainMatch[];
  handlers: ConnectionHandler[];
  /** Per chain: TLS termination before the handler, or undefined for plaintext. */
  tls: (DownstreamTls | undefined)[];
  /** Per chain: the network filters that admit a connection before the handler. */
  network: NetworkFilters[];
  fallback: ConnectionHandler | undefined;
  fallbackTls: DownstreamTls | undefined;
  fallbackNetwork: NetworkFilters;
}

export class Listener {
  spec: ListenerSpec;
  private readonly runtime: ProxyRuntime;
  private chains: Chains;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** The bound address (real port when the config asked for 0). */
  boundAddress: { address: string; port: number } | undefined;

  constructor(spec: ListenerSpec, runtime: ProxyRuntime) {
    this.spec = spec;
    this.runtime = runtime;
    this.chains = this.build(spec);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Same socket: an update can keep the bound server. */
  sameBinding(spec: ListenerSpec): boolean {
    return (
      spec.address === this.spec.address &&
      spec.port === this.spec.port &&
      spec.bindToPort === this.spec.bindToPort
    );
  }

  private build(spec: ListenerSpec): Chains {
    return {
      matches: spec.chains.map((c) => c.match),
      handlers: spec.chains.map((c) => this.handlerFor(c)),
      tls: spec.chains.map((c) => this.tlsFor(c)),
      network: spec.chains.map((c) => buildNetworkFilters(c.network, this.runtime)),
      fallback: spec.defaultChain ? this.handlerFor(spec.defaultChain) : undefined,
      fallbackTls: spec.defaultChain ? this.tlsFor(spec.defaultChain) : undefined,
      fallbackNetwork: buildNetworkFilters(spec.defaultChain?.network ?? [], this.runtime),
    };
  }

  private tlsFor(c: ChainSpec): DownstreamTls | undefined {
    return c.tls ? new DownstreamTls(c.tls, this.runtime.secrets) : undefined;
  }

  private handlerFor(c: ChainSpec): ConnectionHandler {
    return c.terminal.kind === 'http'
      ? new HttpConnectionHandler(c.terminal.config, this.runtime)
      : new TcpProxyHandler(c.terminal.config, this.runtime);
  }

  /** Binds the socket; `onConnection` lets the manager hand connections elsewhere (use_original_dst). */
  bind(onConnection: (l: Listener, s: net.Socket) => void): Promise<void> {
    if (!this.spec.bindToPort) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const server = net.createServer({
        allowHalfOpen: true,
        noDelay: true,
        pauseOnConnect: false,
      });
      server.on('connection', (s: net.Socket) => onConnection(this, s));
      server.once('error', reject);
      const host = this.runtime.bindAddress(this.spec.address);
      server.listen({ host, port: this.spec.port, exclusive: true }, () => {
        server.removeListener('error', reject);
        server.on('error', () => {});
        const a = server.address() as net.AddressInfo;
        this.boundAddress = { address: a.address, port: a.port };
        this.server = server;
        resolve();
      });
    });
  }

  /** Takes a new spec with the same binding; old handlers drain their connections. */
  update(spec: ListenerSpec): void {
    const old = this.chains;
    this.spec = spec;
    this.chains = this.build(spec);
    for (const h of old.handlers) h.drain();
    old.fallback?.drain();
  }

  accept(socket: net.Socket, handedDestination: OriginalDestination | undefined): void {
    socket.on('error', () => {});
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const localAddress = normalizeIp(socket.localAddress ?? '');
    const localPort = socket.localPort ?? 0;
    let destination = handedDestination;
    if (!destination && this.spec.originalDstFilter)
      destination = this.runtime.originalDestination(socket);
    destination ??= { address: localAddress, port: localPort };
    const conn: ConnectionInfo = {
      listenerName: this.spec.name,
      remoteAddress: normalizeIp(socket.remoteAddress ?? ''),
      remotePort: socket.remotePort ?? 0,
      // After original_dst the connection's local address is the original destination, as in Envoy.
      localAddress: destination.address,
      localPort: destination.port,
      destination,
      direction: this.spec.direction,
    };
    const chains = this.chains;
    if (this.spec.inspect && !this.spec.inspectionOffFor(destination.port))
      sniff(socket, this.spec.inspectTimeoutMs, (s) => this.dispatch(socket, conn, chains, s));
    else this.dispatch(socket, conn, chains, undefined);
  }

  private dispatch(
    socket: net.Socket,
    conn: ConnectionInfo,
    chains: Chains,
    sniffed: Sniffed | undefined,
  ): void {
    const i = selectChain(chains.matches, {
      destinationIp: normalizeIp(conn.destination.address),
      destinationPort: conn.destination.port,
      sourceIp: conn.remoteAddress,
      sourcePort: conn.remotePort,
      transport: sniffed?.transport ?? 'raw_buffer',
      application: sniffed?.application,
      serverName: sniffed?.serverName,
      applicationProtocols: sniffed?.transport === 'tls' ? (sniffed.alpn ?? []) : undefined,
    });
    const handler = i >= 0 ? chains.handlers[i] : chains.fallback;
    const tls = i >= 0 ? chains.tls[i] : chains.fallbackTls;
    const network = i >= 0 ? chains.network[i]! : chains.fallbackNetwork;
    if (!handler) {
      const rec = new RequestRecord(conn.listenerName, 'TCP', performance.now());
      rec.addFlag('NFCF');
      rec.setDownstream(conn, sniffed?.serverName);
      socket.destroy();
      this.runtime.onRequestComplete?.(rec);
      return;
    }
    if (!tls) {
      // SNI of a TLS stream passed through untouched is what tls_inspector read.
      const proceed = (): void => handler.handle(socket, conn, sniffed);
      if (admitConnection(network, socket, conn, sniffed?.serverName ?? '', this.runtime, proceed))
        proceed();
      return;
    }
    // A failed handshake (plaintext on a TLS chain, untrusted or wrong client identity)
    // closes the connection, as Envoy does; there is no request to record.
    tls.terminate(
      socket,
      (secure, info) => {
        this.sockets.add(secure);
        secure.once('close', () => this.sockets.delete(secure));
        // ALPN already named the protocol: no need to sniff the decrypted bytes.
        const inner: Sniffed | undefined =
          info.alpn === 'h2'
            ? { transport: 'raw_buffer', application: 'h2c' }
            : info.alpn === 'http/1.1'
              ? { transport: 'raw_buffer', application: 'http/1.1' }
              : undefined;
        const secured: ConnectionInfo = { ...conn, tls: info, tlsSocket: secure };
        const proceed = (): void => {
          const mx = startChainExchange(network, secure, info.alpn, this.runtime);
          secured.exchange = mx;
          // The TCP proxy holds only the peer's bytes until the exchange is done (its
          // upstream connects at once, for server-first protocols); HTTP is client-first
          // and its parser must not see the header, so it waits for the whole exchange.
          if (mx && handler instanceof HttpConnectionHandler)
            void mx.done.then(() => !secure.destroyed && handler.handle(secure, secured, inner));
          else handler.handle(secure, secured, inner);
        };
        // Network ext_authz answers later: the connection waits, then proceeds.
        if (admitConnection(network, secure, secured, info.serverName, this.runtime, proceed))
          proceed();
      },
      () => {},
    );
  }

  /** Stops accepting; existing connections finish their in-flight work. */
  drain(): void {
    this.server?.close();
    for (const h of this.chains.handlers) h.drain();
    this.chains.fallback?.drain();
  }

  close(): void {
    this.drain();
    for (const h of this.chains.handlers) h.close();
    this.chains.fallback?.close();
    for (const s of this.sockets) s.destroy();
  }

  get activeConnections(): number {
    return this.sockets.size;
  }
}
