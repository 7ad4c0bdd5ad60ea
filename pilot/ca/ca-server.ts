// Port 15012: one TLS gRPC server carrying the CA service and, through
// `services`, anything else pilot serves there (ADS). The CA, its serving
// certificate, the authenticators and root distribution are set up here.
import * as grpc from '@grpc/grpc-js';
import type { KubeConfig } from '@kubernetes/client-node';
import { BootstrapTokenAuthenticator } from './authn-bootstrap-token.ts';
import type { BootstrapToken } from './authn-bootstrap-token.ts';
import { ClientCertAuthenticator } from './authn-client-cert.ts';
import { TokenReviewAuthenticator } from './authn-token-review.ts';
import { createCaService } from './ca-service.ts';
import { CaError } from './errors.ts';
import { MeshCa } from './mesh-ca.ts';
import type { MeshCaOptions } from './mesh-ca.ts';
import { writeRootCertFile } from './root-publish.ts';
import { ServingCertProvider, caServerCredentials } from './serving-cert.ts';
import type { ServingCertOptions, ServingMaterial } from './serving-cert.ts';
import { silentLogger } from './types.ts';
import type { Authenticator, CaLogger } from './types.ts';

export interface AuthnOptions {
  /** Kubernetes mode: service-account tokens checked with TokenReview. */
  kube?: KubeConfig;
  /** Audiences the tokens must carry (istio-ca). */
  tokenAudiences?: string[];
  /** File mode: `token namespace serviceAccount` lines or JSON; re-read on change. */
  bootstrapTokensFile?: string;
  bootstrapTokens?: BootstrapToken[];
  log?: CaLogger;
}

/** Client certificate first (renewal), then tokens, as Istio orders its authenticators. */
export function buildAuthenticators(ca: MeshCa, options: AuthnOptions): Authenticator[] {
  const list: Authenticator[] = [new ClientCertAuthenticator(ca)];
  if (options.kube)
    list.push(new TokenReviewAuthenticator(options.kube, { audiences: options.tokenAudiences }));
  if (options.bootstrapTokensFile)
    list.push(BootstrapTokenAuthenticator.fromFile(options.bootstrapTokensFile, options.log));
  if (options.bootstrapTokens)
    list.push(BootstrapTokenAuthenticator.fromTokens(options.bootstrapTokens));
  return list;
}

export interface CaServerOptions extends MeshCaOptions, Omit<AuthnOptions, 'kube' | 'log'> {
  host?: string;
  /** 15012 by default; 0 picks a free port. */
  port?: number;
  serving?: Omit<ServingCertOptions, 'log'>;
  /** More services on the same TLS port, e.g. `(s) => xds.addToServer(s)`. */
  services?: Array<(server: grpc.Server) => void>;
}

export interface RunningCaServer {
  port: number;
  ca: MeshCa;
  server: grpc.Server;
  rootCertPem(): string;
  /** Pilot's current serving certificate on this port. */
  servingCertificate(): ServingMaterial;
  stop(): Promise<void>;
}

export async function startCaServer(options: CaServerOptions): Promise<RunningCaServer> {
  const log = options.log ?? silentLogger;
  const ca = await MeshCa.create(options);
  const authenticators = buildAuthenticators(ca, { ...options, log });
  if (authenticators.length === 1)
    log.warn(
      'ca: no token authenticator (neither Kubernetes nor bootstrap tokens): only renewals can be served',
    );
  if (options.stateDir && !options.kube)
    log.info(
      `ca: root certificate written to ${await writeRootCertFile(options.stateDir, ca.rootCertPem())}`,
    );
  const provider = await ServingCertProvider.create(ca, { ...options.serving, log });
  const server = new grpc.Server();
  createCaService({ ca, authenticators, log }).addToServer(server);
  for (const add of options.services ?? []) add(server);
  const host = options.host ?? '127.0.0.1';
  const address = host.includes(':')
    ? `[${host}]:${options.port ?? 15012}`
    : `${host}:${options.port ?? 15012}`;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, caServerCredentials(provider), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
  } catch (err) {
    provider.stop();
    throw new CaError(
      'PETREL_CA_CONFIG',
      `binding ${address}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  log.info(`ca: IstioCertificateService on ${host}:${port} (TLS, trust domain ${ca.trustDomain})`);
  return {
    port,
    ca,
    server,
    rootCertPem: () => ca.rootCertPem(),
    servingCertificate: () => provider.current(),
    async stop() {
      provider.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
