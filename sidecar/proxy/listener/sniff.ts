// Looks at the first bytes of a connection without consuming them (read() then
// unshift(), as PLATFORM.md found works for handing the socket to node's HTTP/1.1
// and HTTP/2 servers afterwards): HTTP/2 prior-knowledge preface, TLS, HTTP/1.x.
// For TLS it waits for the whole ClientHello, to read SNI and ALPN (tls_inspector).
import type net from 'node:net';
import { parseClientHello, type HelloResult } from '../tls/client-hello.ts';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Sniffed {
  transport: 'tls' | 'raw_buffer';
  /** 'h2c' or 'http/1.1' for plaintext HTTP, undefined otherwise (Istio's http_inspector names). */
  application: 'h2c' | 'http/1.1' | undefined;
  /** TLS: the ClientHello's SNI (lowercase) and ALPN offer. */
  serverName?: string;
  alpn?: string[];
}

const METHODS = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC'];

function classify(buf: Buffer): Sniffed {
  return buf.length > 0 && buf[0] === 0x16 ? fromHello(parseClientHello(buf)) : plaintext(buf);
}

function fromHello(hello: HelloResult): Sniffed {
  return hello.state === 'done'
    ? { transport: 'tls', application: undefined, serverName: hello.serverName, alpn: hello.alpn }
    : { transport: 'tls', application: undefined };
}

function plaintext(buf: Buffer): Sniffed {
  if (buf.length >= H2_PREFACE.length && buf.subarray(0, H2_PREFACE.length).equals(H2_PREFACE))
    return { transport: 'raw_buffer', application: 'h2c' };
  const head = buf.subarray(0, 4).toString('latin1');
  return { transport: 'raw_buffer', application: METHODS.includes(head) ? 'http/1.1' : undefined };
}

/**
 * What `buf` says, or undefined while more bytes could change it. A ClientHello is
 * parsed once here, not again by classify: this runs on every TLS connection.
 */
function decided(buf: Buffer): Sniffed | undefined {
  if (buf[0] === 0x16) {
    const hello = parseClientHello(buf);
    return hello.state === 'need-more' ? undefined : fromHello(hello);
  }
  if (buf.length < H2_PREFACE.length) {
    if (buf.length < 4 || H2_PREFACE.subarray(0, buf.length).equals(buf)) return undefined;
  }
  return plaintext(buf);
}

/**
 * Calls `done` with what the first bytes say, leaving them unread in the socket.
 * Gives up after `timeoutMs` (Envoy's listener_filters_timeout) with what it has,
 * and says nothing if the socket closes first.
 */
export function sniff(socket: net.Socket, timeoutMs: number, done: (s: Sniffed) => void): void {
  let finished = false;
  let timer: NodeJS.Timeout | null = null;
  // Bytes are collected here, not unshifted while waiting: an unshift re-arms
  // 'readable' and would spin until more data arrives.
  let acc: Buffer | null = null;
  // `result` when the bytes decided it; else (timeout, end of stream) what they say so far.
  const finish = (result?: Sniffed): void => {
    if (finished) return;
    finished = true;
    socket.removeListener('readable', onReadable);
    socket.removeListener('close', onClose);
    if (timer) clearTimeout(timer);
    if (acc && acc.length > 0) {
      if (socket.readableEnded) {
        socket.destroy(); // half-closed before a decision: nothing useful can follow
        return;
      }
      socket.unshift(acc);
    }
    done(result ?? (acc ? classify(acc) : { transport: 'raw_buffer', application: undefined }));
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read()) !== null)
      acc = acc === null ? chunk : Buffer.concat([acc, chunk]);
    const result = acc !== null ? decided(acc) : undefined;
    if (result || socket.readableEnded) finish(result);
  };
  const onClose = (): void => {
    finished = true;
    socket.removeListener('readable', onReadable);
    if (timer) clearTimeout(timer);
  };
  socket.on('readable', onReadable);
  socket.once('close', onClose);
  if (timeoutMs > 0) timer = setTimeout(() => finish(), timeoutMs);
}
