// The webhook server: HTTPS (the API server only calls webhooks over TLS),
// `/inject` (mutating), `/validate` (validating), `/ready`. Every request gets
// an answer; nothing a client sends can stop the process.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseReview,
  reviewEnvelope,
  type AdmissionReview,
  type AdmissionResponse,
} from './admission.ts';
import { istiodServiceName, type InjectorConfig } from './config.ts';
import { InjectorError, errorLine } from './errors.ts';
import { handleInject, injectPathParams, type NamespaceLabelSource } from './inject-handler.ts';
import { generateServingCertificate, serviceDnsNames } from './serving-cert.ts';
import { handleValidate } from './validate-handler.ts';

export interface TlsPem {
  certPem: string;
  keyPem: string;
  /** The CA for the webhook configurations' caBundle; for given files, the cert itself unless told. */
  caPem?: string;
}

export interface InjectorServerOptions {
  config: InjectorConfig;
  /** Default 127.0.0.1; 0.0.0.0 in a pod. */
  host?: string;
  /** Default 15017; 0 picks a free port. */
  port?: number;
  /** Serving certificate; generated (self-signed CA + leaf) when absent. */
  tls?: TlsPem;
  /** SANs of a generated certificate; default the istiod service names of the revision, plus localhost. */
  dnsNames?: string[];
  namespaceLabels?: NamespaceLabelSource;
  /** Largest request body accepted (default 8 MiB: an object and its old version near etcd's 1.5 MiB limit, as JSON). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface InjectorServer {
  readonly port: number;
  readonly url: string;
  /** PEM of the CA that verifies the serving certificate (base64 it for a caBundle). */
  readonly caPem: string;
  /** Swaps the serving certificate for new connections (rotation). */
  setCertificate(tls: TlsPem): void;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new InjectorError('PETREL_INJECT_BODY_TOO_LARGE', `request body over ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume(); // discard, so the answer can still be written
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startInjectorServer(options: InjectorServerOptions): Promise<InjectorServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const config = options.config;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let tls = options.tls;
  if (!tls) {
    const service = istiodServiceName(config.revision);
    tls = await generateServingCertificate({
      dnsNames: options.dnsNames ?? [
        ...serviceDnsNames(service, config.systemNamespace, config.trustDomain),
        'localhost',
      ],
      ips: ['127.0.0.1', '::1'],
    });
  }
  let caPem = tls.caPem ?? tls.certPem;

  const answer = async (path: string, review: AdmissionReview): Promise<AdmissionResponse> => {
    if (path === '/validate' || path.startsWith('/validate/')) return handleValidate(review);
    return handleInject(review, {
      config,
      ...(options.namespaceLabels ? { namespaceLabels: options.namespaceLabels } : {}),
      ...injectPathParams(path),
      log,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://webhook').pathname;
    if (path === '/ready') return send(res, 200, 'ok\n');
    const isWebhook = ['/inject', '/validate'].some((p) => path === p || path.startsWith(`${p}/`));
    if (!isWebhook) return send(res, 404, `${path}: not found\n`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, `${req.method} ${path}: only POST is served\n`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return send(res, 415, `content-type ${JSON.stringify(type)}: must be application/json\n`);
    }
    let review: AdmissionReview;
    try {
      review = parseReview(await readBody(req, limit));
    } catch (err) {
      const status =
        err instanceof InjectorError && err.code === 'PETREL_INJECT_BODY_TOO_LARGE' ? 413 : 400;
      if (status === 413) res.setHeader('connection', 'close');
      log(`petrel injector: ${req.method} ${path}: ${errorLine(err)}`);
      return send(res, status, `${errorLine(err)}\n`);
    }
    const response = await answer(path, review);
    send(res, 200, JSON.stringify(reviewEnvelope(review.apiVersion, response)), 'application/json');
  };

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`petrel injector: ${req.method} ${req.url}: ${errorLine(err)}`);
      send(res, 500, `internal error: ${errorLine(err)}\n`);
    });
  });
  // A client that fails the handshake or drops mid-request must not take the server down.
  server.on('tlsClientError', () => {});
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new InjectorError(
          'PETREL_INJECT_OPTION',
          `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 15017}: ${err.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 15017, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    port,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get caPem() {
      return caPem;
    },
    setCertificate(next: TlsPem) {
      server.setSecureContext({ cert: next.certPem, key: next.keyPem });
      caPem = next.caPem ?? next.certPem;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
