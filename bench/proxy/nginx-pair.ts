// The reference for what mutual TLS between two proxies costs: nginx → nginx, with
// the same certificates a mesh would use (ECDSA P-256, as pilot's CA issues; SPIFFE
// URI SANs; one root), the client verifying the server and the server requiring and
// verifying the client's certificate. Two processes, each with a plaintext and an
// mTLS server block, so the two rows differ only in TLS (upstream keep-alive on
// both). nginx-b answers /tls-check itself, which says from outside whether the hop
// negotiated TLS and verified the client.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxCommon, startNginx } from './peers.ts';
import { BenchError } from './processes.ts';
import type { Placement, Running } from './processes.ts';

export interface NginxPairPorts {
  aPlain: number;
  aTls: number;
  bPlain: number;
  bTls: number;
  backend: number;
}

export interface NginxPair {
  a: Running;
  b: Running;
  /** What /tls-check said through each entry port. */
  plainCheck: string;
  tlsCheck: string;
}

const SERVER_NAME = 'nginx-b.bench';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A P-256 root and leaves `a` and `b` signed by it, in `dir` (root.crt, a.crt, a.key, …). */
function makeCerts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const key = (name: string) =>
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  key('root');
  openssl(dir, [
    ...['req', '-x509', '-new', '-key', 'root.key', '-subj', '/O=cluster.local', '-days', '2'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root.crt'],
  ]);
  for (const name of ['a', 'b']) {
    key(name);
    writeFileSync(
      join(dir, `${name}.ext`),
      [
        `subjectAltName=URI:spiffe://cluster.local/ns/bench/sa/nginx-${name},DNS:nginx-${name}.bench`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    openssl(dir, [
      'req',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      '/O=bench',
      '-out',
      `${name}.csr`,
    ]);
    openssl(dir, [
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.crt', '-CAkey', 'root.key'],
      ...['-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
    ]);
  }
}

const proxyTo = (upstream: string, scheme: string, extra = '') => `
    location / {
      proxy_pass ${scheme}://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";${extra}
    }`;

const upstream = (name: string, port: number) => `
  upstream ${name} {
    server 127.0.0.1:${port};
    keepalive 64;
    keepalive_requests 1000000;
  }`;

function confA(dir: string, certs: string, p: NginxPairPorts): string {
  const c = (f: string) => join(certs, f);
  const tls = `
      proxy_ssl_certificate ${c('a.crt')};
      proxy_ssl_certificate_key ${c('a.key')};
      proxy_ssl_trusted_certificate ${c('root.crt')};
      proxy_ssl_verify on;
      proxy_ssl_name ${SERVER_NAME};
      proxy_ssl_server_name on;
      proxy_ssl_protocols TLSv1.2 TLSv1.3;`;
  return `${nginxCommon(dir)}${upstream('b_plain', p.bPlain)}${upstream('b_tls', p.bTls)}
  server {
    listen 127.0.0.1:${p.aPlain};${proxyTo('b_plain', 'http')}
  }
  server {
    listen 127.0.0.1:${p.aTls};${proxyTo('b_tls', 'https', tls)}
  }
}
`;
}

function confB(dir: string, certs: string, p: NginxPairPorts): string {
  const c = (f: string) => join(certs, f);
  return `${nginxCommon(dir)}${upstream('backend', p.backend)}
  server {
    listen 127.0.0.1:${p.bPlain};
    location = /tls-check { return 200 "tls=none\\n"; }${proxyTo('backend', 'http')}
  }
  server {
    listen 127.0.0.1:${p.bTls} ssl;
    ssl_certificate ${c('b.crt')};
    ssl_certificate_key ${c('b.key')};
    ssl_client_certificate ${c('root.crt')};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /tls-check { return 200 "tls=$ssl_protocol client=$ssl_client_verify\\n"; }${proxyTo('backend', 'http')}
  }
}
`;
}

async function tlsCheck(port: number): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/tls-check`)).text()).trim();
}

/** nginx-b, then nginx-a; fails unless the mTLS entry really reaches b over verified mutual TLS. */
export async function startNginxPair(
  dir: string,
  p: NginxPairPorts,
  place: Placement,
): Promise<NginxPair> {
  const certs = join(dir, 'certs');
  makeCerts(certs);
  const b = await startNginx(
    'nginx-b',
    join(dir, 'b'),
    confB(join(dir, 'b'), certs, p),
    place,
    `http://127.0.0.1:${p.bPlain}/`,
  );
  let a: Running | undefined;
  try {
    a = await startNginx(
      'nginx-a',
      join(dir, 'a'),
      confA(join(dir, 'a'), certs, p),
      place,
      `http://127.0.0.1:${p.aTls}/`,
    );
    const plainCheck = await tlsCheck(p.aPlain);
    const tls = await tlsCheck(p.aTls);
    if (plainCheck !== 'tls=none' || !/^tls=TLSv1\.[23] client=SUCCESS$/.test(tls))
      throw new BenchError(
        'PETREL_BENCH_SECURITY',
        `nginx pair: expected "tls=none" and verified mutual TLS, got "${plainCheck}" and "${tls}"`,
      );
    return { a, b, plainCheck, tlsCheck: tls };
  } catch (err) {
    await a?.stop(5000);
    await b.stop(5000);
    throw err;
  }
}
