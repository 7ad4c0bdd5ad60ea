// A downstream connection seen as a request without headers, so network filters read
// it through the same accessors (request-facts.ts) and matchers (rbac-engine.ts) as
// HTTP filters: the peer's mTLS identity, the SNI, the direct peer (also the remote
// address: there is no x-forwarded-for on a raw connection) and the destination.
import type { ConnectionInfo } from '../http/request-context.ts';
import type { RequestView } from '../route/types.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { FactsContext } from './request-facts.ts';

const NO_HEADERS: HeaderMap = Object.freeze({}) as HeaderMap;

export class ConnectionFacts implements FactsContext, RequestView {
  readonly method = '';
  readonly authority = '';
  readonly path = '';
  readonly scheme = '';
  readonly protocol = 'TCP';
  readonly headers = NO_HEADERS;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  upstreamHost: string | undefined = undefined;
  /** Read by request-facts: the identities and SNI of the connection, and when it began. */
  readonly record: {
    peerPrincipal: string;
    localPrincipal: string;
    requestedServerName: string;
    startTime: number;
  };
  /** Read by request-facts: the original destination. */
  readonly conn: ConnectionInfo;

  /** `serverName`: the SNI, from the handshake this proxy terminated or from tls_inspector. */
  constructor(conn: ConnectionInfo, serverName: string) {
    this.conn = conn;
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.localAddress = conn.localAddress;
    this.localPort = conn.localPort;
    this.record = {
      peerPrincipal: conn.tls?.peerPrincipal ?? '',
      localPrincipal: conn.tls?.localPrincipal ?? '',
      requestedServerName: serverName,
      startTime: Date.now(),
    };
  }

  get request(): RequestView {
    return this;
  }

  header(): string | undefined {
    return undefined;
  }

  queryParam(): string | undefined {
    return undefined;
  }
}
