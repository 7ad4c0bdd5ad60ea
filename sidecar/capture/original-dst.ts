// The destination a client dialled before iptables REDIRECT sent it to the
// proxy: getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST), then (SOL_IP,
// SO_ORIGINAL_DST). Node has no API for it, so this calls libc's getsockopt.
//
// Why koffi (FFI) rather than a Node-API addon compiled at install: koffi's
// native part comes prebuilt in a per-platform registry package
// (@koromix/koffi-linux-x64, an optional dependency), so a fresh `npm ci` needs
// nothing but the npm registry: no compiler, no Node headers (node-gyp would
// need a `nodedir` set outside the repo, or a header download that cannot
// happen here), and no install script (npm 11 skips dependencies' install
// scripts unless allow-listed). One FFI call per accepted connection costs
// microseconds, far below a connection's own cost.
import { createRequire } from 'node:module';
import { isIPv4, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CaptureError } from './errors.ts';

export interface OriginalDestination {
  address: string;
  port: number;
  family: 4 | 6;
}

const SOL_IP = 0;
const SOL_IPV6 = 41;
const SO_ORIGINAL_DST = 80; // linux/netfilter_ipv4.h
const IP6T_SO_ORIGINAL_DST = 80; // linux/netfilter_ipv6/ip6_tables.h
const SOCKADDR_IN6_SIZE = 28;

type GetSockOpt = (
  fd: number,
  level: number,
  name: number,
  value: Buffer,
  length: number[],
) => number;

interface Libc {
  getsockopt: GetSockOpt;
  errno(): number;
  /** errno value → name, for error messages. */
  names: Map<number, string>;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux') {
    throw new CaptureError(
      'PETREL_CAPTURE_ORIGINAL_DST',
      `SO_ORIGINAL_DST exists only on Linux (this is ${process.platform})`,
    );
  }
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (err) {
    throw new CaptureError(
      'PETREL_CAPTURE_ORIGINAL_DST',
      `cannot load koffi (run npm ci): ${(err as Error).message}`,
    );
  }
  // null = the symbols already loaded into this process, so glibc and musl both work.
  const lib = koffi.load(null as unknown as string);
  const getsockopt = lib.func(
    'int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)',
  ) as unknown as GetSockOpt;
  const names = new Map(Object.entries(koffi.os.errno).map(([name, n]) => [n, name]));
  libc = { getsockopt, errno: () => koffi.errno(), names };
  return libc;
}

/** The file descriptor under a connected net.Socket (also TLS sockets of tls servers), if it still has one. */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

function decode(buf: Buffer, family: 4 | 6): OriginalDestination {
  const port = buf.readUInt16BE(2);
  if (family === 4) return { address: `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`, port, family };
  const address = ipaddr.fromByteArray([...buf.subarray(8, 24)]).toString();
  return { address, port, family };
}

/** One getsockopt; undefined when the kernel says this family has no NAT record for the socket. */
function query(
  lib: Libc,
  fd: number,
  level: number,
  name: number,
  family: 4 | 6,
): OriginalDestination | undefined {
  const buf = Buffer.alloc(SOCKADDR_IN6_SIZE);
  const length = [SOCKADDR_IN6_SIZE];
  if (lib.getsockopt(fd, level, name, buf, length) === 0) return decode(buf, family);
  const errno = lib.errno();
  const errName = lib.names.get(errno);
  // ENOENT: no conntrack NAT entry (not redirected). ENOPROTOOPT: this family's
  // option does not apply to the socket (e.g. an IPv4 socket asked at SOL_IPV6).
  if (errName === 'ENOENT' || errName === 'ENOPROTOOPT') return undefined;
  throw new CaptureError(
    'PETREL_CAPTURE_ORIGINAL_DST',
    `getsockopt(fd ${fd}, ${level === SOL_IP ? 'SOL_IP, SO_ORIGINAL_DST' : 'SOL_IPV6, IP6T_SO_ORIGINAL_DST'}) failed: ${errName ?? `errno ${errno}`}`,
  );
}

/**
 * Where the client meant to connect, or undefined when the connection was not
 * redirected (or the socket is already closed). IPv6 is asked first; IPv4 is
 * the fallback, which also covers IPv4 clients accepted on a dual-stack `::` listener.
 */
export function originalDestination(socket: Socket): OriginalDestination | undefined {
  const fd = socketFd(socket);
  if (fd === undefined) return undefined;
  const lib = loadLibc();
  let dst: OriginalDestination | undefined;
  // A socket whose local address is plain IPv4 cannot hold an IPv6 NAT record: skip that syscall.
  if (!isIPv4(socket.localAddress ?? '')) dst = query(lib, fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, 6);
  dst ??= query(lib, fd, SOL_IP, SO_ORIGINAL_DST, 4);
  // Once conntrack runs in the namespace (any nat rule loads it) the kernel answers for every
  // tracked connection, redirected or not: an original destination equal to the socket's own
  // address and port means the client dialled this listener directly.
  if (dst && dst.port === socket.localPort && sameAddress(dst.address, socket.localAddress))
    return undefined;
  return dst;
}

function sameAddress(a: string, b: string | undefined): boolean {
  if (b === undefined || !ipaddr.isValid(a) || !ipaddr.isValid(b)) return false;
  return ipaddr.process(a).toString() === ipaddr.process(b).toString();
}
