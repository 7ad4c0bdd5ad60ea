import type net from 'node:net';
import type { ConnectionInfo } from '../http/request-context.ts';
import type { Sniffed } from './sniff.ts';

/** What a filter chain does with an accepted connection (HTTP connection manager or TCP proxy). */
export interface ConnectionHandler {
  /** `sniffed` is set when the listener already looked at the first bytes. */
  handle(socket: net.Socket, conn: ConnectionInfo, sniffed: Sniffed | undefined): void;
  /** Stop taking new requests on existing connections; let in-flight ones finish. */
  drain(): void;
  /** Close every connection now. */
  close(): void;
}
