// Reads the server name (SNI) and the ALPN protocols out of a TLS ClientHello, as
// Envoy's tls_inspector does, so filter chains can match server_names and
// application_protocols before any handshake. Written by hand: node:tls exposes
// neither before it has picked a context, and no maintained npm package does just this.
// Layouts: RFC 8446 §4.1.2 (ClientHello), RFC 6066 §3 (server_name), RFC 7301 §3.1 (ALPN).

export type HelloResult =
  | { state: 'need-more' }
  | { state: 'invalid' }
  | { state: 'done'; serverName: string | undefined; alpn: string[] };

const RECORD_HEADER = 5;
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
/** A ClientHello larger than this is not one (Envoy's tls_inspector reads at most 64 KiB). */
const MAX_HELLO = 64 * 1024;

/** The handshake bytes carried by the leading handshake records of `buf`, and whether more may follow. */
function handshakeBytes(buf: Buffer): { data: Buffer; complete: boolean } | undefined {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + RECORD_HEADER <= buf.length) {
    if (buf[off] !== HANDSHAKE)
      return parts.length > 0 ? { data: Buffer.concat(parts), complete: true } : undefined;
    const len = buf.readUInt16BE(off + 3);
    if (off + RECORD_HEADER + len > buf.length) break;
    parts.push(buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len));
    off += RECORD_HEADER + len;
  }
  return { data: Buffer.concat(parts), complete: false };
}

export function parseClientHello(buf: Buffer): HelloResult {
  if (buf.length > 0 && buf[0] !== HANDSHAKE) return { state: 'invalid' };
  if (buf.length > MAX_HELLO) return { state: 'invalid' };
  const hs = handshakeBytes(buf);
  if (!hs) return { state: 'invalid' };
  const d = hs.data;
  if (d.length < 4) return hs.complete ? { state: 'invalid' } : { state: 'need-more' };
  if (d[0] !== CLIENT_HELLO) return { state: 'invalid' };
  const bodyLen = d.readUIntBE(1, 3);
  if (d.length < 4 + bodyLen) return hs.complete ? { state: 'invalid' } : { state: 'need-more' };
  try {
    return readHello(d.subarray(4, 4 + bodyLen));
  } catch {
    return { state: 'invalid' };
  }
}

function readHello(b: Buffer): HelloResult {
  let off = 2 + 32; // legacy_version, random
  off += 1 + b[off]!; // session id
  off += 2 + b.readUInt16BE(off); // cipher suites
  off += 1 + b[off]!; // compression methods
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (off >= b.length) return { state: 'done', serverName, alpn }; // no extensions at all
  const end = off + 2 + b.readUInt16BE(off);
  off += 2;
  if (end > b.length) return { state: 'invalid' };
  while (off + 4 <= end) {
    const type = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    const ext = b.subarray(off + 4, off + 4 + len);
    if (ext.length !== len) return { state: 'invalid' };
    if (type === EXT_SERVER_NAME) serverName = readServerName(ext);
    else if (type === EXT_ALPN) alpn.push(...readAlpn(ext));
    off += 4 + len;
  }
  return { state: 'done', serverName, alpn };
}

function readServerName(ext: Buffer): string | undefined {
  const listEnd = 2 + ext.readUInt16BE(0);
  let off = 2;
  while (off + 3 <= listEnd) {
    const nameType = ext[off]!;
    const len = ext.readUInt16BE(off + 1);
    // host_name (0) is the only type defined; SNI is case-insensitive and Envoy lowercases it.
    if (nameType === 0)
      return ext
        .subarray(off + 3, off + 3 + len)
        .toString('latin1')
        .toLowerCase();
    off += 3 + len;
  }
  return undefined;
}

function readAlpn(ext: Buffer): string[] {
  const out: string[] = [];
  const listEnd = 2 + ext.readUInt16BE(0);
  let off = 2;
  while (off < listEnd && off < ext.length) {
    const len = ext[off]!;
    out.push(ext.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  return out;
}
