// One CreateCertificate call to the mesh CA over TLS: the CA is verified with the
// mesh root, the caller proves who it is with a bearer token (first issue) and/or
// its current certificate (renewal).
import * as grpc from '@grpc/grpc-js';
import { structForLoader } from '../../api/envoy/loader-struct.ts';
import { loadCaPackage } from '../../api/istio/ca/loader.ts';
import type {
  IstioCertificateRequest,
  IstioCertificateResponse,
} from '../../api/istio/ca/loader.ts';
import { IdentityError } from './errors.ts';

export interface CaEndpoint {
  /** host:port of pilot's TLS port (15012). */
  address: string;
  /** The mesh root the CA's certificate must chain to. */
  rootCertPem: string;
  /** Name to check the CA's certificate against, when the address is not one of its SANs (Istio: istiod.istio-system.svc). */
  serverName?: string;
  timeoutMs?: number;
}

export interface CertificateRequest {
  csrPem: string;
  /** Seconds; 0 or absent: the CA's default. */
  validitySeconds?: number;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Presented in the TLS handshake, so the CA can authenticate a renewal by it. */
  clientCert?: { certChainPem: string; keyPem: string };
  /** Node metadata for the CA (Istio sends ClusterID, WorkloadName, WorkloadIP). */
  metadata?: Record<string, unknown>;
}

type CaClient = grpc.Client & {
  CreateCertificate(
    request: IstioCertificateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, res?: IstioCertificateResponse) => void,
  ): grpc.ClientUnaryCall;
};

export async function createCertificate(
  endpoint: CaEndpoint,
  request: CertificateRequest,
): Promise<string[]> {
  const { IstioCertificateService } = loadCaPackage();
  const credentials = grpc.credentials.createSsl(
    Buffer.from(endpoint.rootCertPem),
    request.clientCert ? Buffer.from(request.clientCert.keyPem) : null,
    request.clientCert ? Buffer.from(request.clientCert.certChainPem) : null,
  );
  const channelOptions: grpc.ChannelOptions = endpoint.serverName
    ? {
        'grpc.ssl_target_name_override': endpoint.serverName,
        'grpc.default_authority': endpoint.serverName,
      }
    : {};
  // A channel per call: calls are rare (twice a lifetime) and each may carry a new client certificate.
  const client = new IstioCertificateService(
    endpoint.address,
    credentials,
    channelOptions,
  ) as unknown as CaClient;
  const metadata = new grpc.Metadata();
  if (request.token) metadata.set('authorization', `Bearer ${request.token}`);
  const body: IstioCertificateRequest = {
    csr: request.csrPem,
    validity_duration: request.validitySeconds ?? 0,
    metadata: request.metadata ? structForLoader(request.metadata) : null,
  };
  try {
    const response = await new Promise<IstioCertificateResponse>((resolve, reject) => {
      client.CreateCertificate(
        body,
        metadata,
        { deadline: Date.now() + (endpoint.timeoutMs ?? 10_000) },
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
    });
    return response.cert_chain ?? [];
  } catch (err) {
    const e = err as grpc.ServiceError;
    const name = typeof e.code === 'number' ? grpc.status[e.code] : 'UNKNOWN';
    throw new IdentityError(
      'PETREL_IDENTITY_CA_CALL',
      `CreateCertificate at ${endpoint.address}: ${name}: ${e.details ?? e.message}`,
      e.code,
    );
  } finally {
    client.close();
  }
}
