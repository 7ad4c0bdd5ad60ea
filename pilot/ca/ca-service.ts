// Istio's IstioCertificateService.CreateCertificate on a grpc-js server the caller
// owns (pilot shares port 15012 between it and ADS): authenticate the caller,
// sign its CSR for that identity only, answer with the chain.
import * as grpc from '@grpc/grpc-js';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { loadCaPackage } from '../../api/istio/ca/loader.ts';
import type {
  IstioCertificateRequest,
  IstioCertificateResponse,
} from '../../api/istio/ca/loader.ts';
import { CaError, errorMessage } from './errors.ts';
import type { MeshCa } from './mesh-ca.ts';
import { silentLogger } from './types.ts';
import type { Authenticator, CaLogger, Caller, Credentials } from './types.ts';

export interface CaServiceOptions {
  ca: MeshCa;
  /** Tried in order; the first that accepts the caller wins (client certificate first, as Istio). */
  authenticators: Authenticator[];
  log?: CaLogger;
}

export interface CaService {
  addToServer(server: grpc.Server): void;
}

type Call = ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>;

function credentialsOf(call: Call): Credentials {
  const header = call.metadata.get('authorization').find((v): v is string => typeof v === 'string');
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  // grpc-js reports the peer certificate only when the handshake verified it against our root.
  const peerCertificate = call.getAuthContext?.()?.sslPeerCertificate;
  return { bearerToken: bearer, peerCertificate, peer: call.getPeer() };
}

/** The caller, or the reasons every authenticator gave for refusing. */
export async function authenticateCaller(
  authenticators: readonly Authenticator[],
  credentials: Credentials,
): Promise<{ caller: Caller } | { reasons: string[] }> {
  const reasons: string[] = [];
  for (const a of authenticators) {
    const r = await a.authenticate(credentials);
    if (r.kind === 'ok') return { caller: r.caller };
    if (r.kind === 'fail') reasons.push(r.reason);
  }
  if (reasons.length === 0)
    reasons.push('no credentials (no bearer token and no client certificate from this CA)');
  return { reasons };
}

export function createCaService(options: CaServiceOptions): CaService {
  const log = options.log ?? silentLogger;
  const { ca } = options;

  async function handle(call: Call): Promise<IstioCertificateResponse> {
    const credentials = credentialsOf(call);
    const outcome = await authenticateCaller(options.authenticators, credentials);
    if ('reasons' in outcome) {
      const message = outcome.reasons.join('; ');
      log.warn(`ca: unauthenticated CreateCertificate from ${credentials.peer}: ${message}`);
      throw new CaError('PETREL_CA_UNAUTHENTICATED', `unauthenticated: ${message}`);
    }
    const { caller } = outcome;
    const uri = ca.spiffeUriOf(caller);
    const ttl = Number(call.request.validity_duration) || 0;
    try {
      const chain = await ca.signCsr(call.request.csr, caller, ttl);
      log.info(
        `ca: issued ${uri} (${caller.via}, ${ttl || ca.defaultTtlSeconds}s) to ${credentials.peer}`,
      );
      return { cert_chain: chain };
    } catch (err) {
      if (err instanceof CaError)
        log.warn(
          `ca: CreateCertificate for ${uri} from ${credentials.peer} refused: ${err.code}: ${err.message}`,
        );
      throw err;
    }
  }

  return {
    addToServer(server: grpc.Server): void {
      server.addService(loadCaPackage().service, {
        CreateCertificate: (call: Call, callback: sendUnaryData<IstioCertificateResponse>) => {
          handle(call).then(
            (res) => callback(null, res),
            (err: unknown) => {
              if (!(err instanceof CaError))
                log.error(`ca: CreateCertificate failed: ${errorMessage(err)}`);
              else if (err.code === 'PETREL_CA_TOKEN_REVIEW') log.error(`ca: ${err.message}`);
              callback({
                code: err instanceof CaError ? err.grpcStatus : grpc.status.INTERNAL,
                details: err instanceof CaError ? `${err.code}: ${err.message}` : 'internal error',
              });
            },
          );
        },
      });
    },
  };
}
