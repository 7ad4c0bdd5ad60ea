// Istio's metadata_exchange network filter (istio/proxy
// source/extensions/filters/network/metadata_exchange) on both ends of a mesh TCP
// connection: downstream on inbound filter chains, upstream as a cluster filter.
// When TLS negotiated the configured ALPN (`istio-peer-exchange`), this proxy writes
// its own header + metadata first and takes the peer's off the front of the stream;
// with any other ALPN (plaintext, a non-mesh peer) nothing is written or read.
//
// It never blocks the other direction: Envoy holds only the data that comes *from*
// the peer until the peer's header is read (FilterStatus::StopIteration), so
// server-first protocols still work. Callers therefore hold just that direction
// until `done`. What the metadata says is telemetry's business (TcpPeerExchange).
import type net from 'node:net';
import type { Issues } from '../config/issues.ts';
import { asArray, asString, type Obj } from '../config/values.ts';
import type { ProxyRuntime } from '../runtime.ts';
import { MxParser, mxFrame } from './mx-wire.ts';

export const METADATA_EXCHANGE_TYPE = 'envoy.tcp.metadataexchange.config.MetadataExchange';

export interface MetadataExchangeConfig {
  /** The ALPN that means "the peer speaks MX" (Istio: istio-peer-exchange). */
  protocol: string;
}

/** Telemetry's side: what this proxy says about itself, and how to read a peer. */
export interface TcpPeerExchange {
  /** This proxy's google.protobuf.Any (a Struct: x-envoy-peer-metadata, x-envoy-peer-metadata-id). */
  readonly payload: Buffer;
  /** The peer as telemetry wants it on RequestRecord.peer (null when it does not decode). */
  peerFrom(payload: Buffer): unknown;
}

export function compileMetadataExchange(c: Obj, issues: Issues): MetadataExchangeConfig {
  const protocol = asString(c.protocol) ?? '';
  if (protocol === '') issues.add('protocol is required', 'protocol');
  if (c.enable_discovery === true)
    issues.add('enable_discovery (workload discovery) is not supported', 'enable_discovery');
  if (asArray(c.additional_labels).length > 0)
    issues.add('additional_labels are not supported', 'additional_labels');
  return { protocol };
}

export interface PeerExchangeSession {
  /** Resolves once the peer's header was read, found absent, or the connection ended. */
  readonly done: Promise<void>;
  /** What TcpPeerExchange.peerFrom made of the peer's metadata; undefined when none came. */
  readonly peer: unknown;
}

const NO_EXCHANGE: PeerExchangeSession = { done: Promise.resolve(), peer: undefined };

/**
 * Starts the exchange on a TLS socket whose handshake chose `alpn`. Writes this
 * proxy's frame now (before anything else goes to the peer), then reads the peer's
 * off the front of the socket; leaves the socket paused-mode-free and the rest of
 * the bytes in it. Stats and telemetry's side are the proxy runtime's.
 */
export function startExchange(
  socket: net.Socket,
  alpn: string,
  cfg: MetadataExchangeConfig,
  runtime: Pick<ProxyRuntime, 'stats' | 'peerExchange'>,
): PeerExchangeSession {
  const stats = runtime.stats;
  if (alpn !== cfg.protocol) {
    stats.inc('metadata_exchange.alpn_protocol_not_found');
    return NO_EXCHANGE;
  }
  stats.inc('metadata_exchange.alpn_protocol_found');
  const hooks = runtime.peerExchange;
  if (hooks) {
    socket.write(mxFrame(hooks.payload));
    stats.inc('metadata_exchange.metadata_added');
  }
  const session: { done: Promise<void>; peer: unknown } = {
    done: NO_EXCHANGE.done,
    peer: undefined,
  };
  session.done = readPeerFrame(socket).then((payload) => {
    if (payload === undefined) stats.inc('metadata_exchange.initial_header_not_found');
    else session.peer = runtime.peerExchange?.peerFrom(payload);
  });
  return session;
}

/** The peer's payload, or undefined when the stream does not start with an MX header. */
function readPeerFrame(socket: net.Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const parser = new MxParser();
    let finished = false;
    const finish = (payload: Buffer | undefined, rest: Buffer | undefined): void => {
      if (finished) return;
      finished = true;
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      // Collected first and handed back once: an unshift while waiting re-arms 'readable'.
      if (rest && rest.length > 0 && !socket.readableEnded) socket.unshift(rest);
      resolve(payload);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!finished && (chunk = socket.read() as Buffer | null) !== null) {
        const r = parser.push(chunk);
        if (r.state === 'done') finish(r.payload, r.rest);
        else if (r.state === 'invalid') finish(undefined, r.rest);
      }
    };
    // Closed or half-closed mid-header: nothing more will come; what was read is lost
    // with the connection, as in Envoy.
    const onEnd = (): void => finish(undefined, undefined);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
