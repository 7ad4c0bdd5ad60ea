// Istio's IstioCertificateService (ca.proto beside this file) as a grpc-js
// package, for pilot's CA (server) and the proxy's identity module (client).
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { LoaderStruct } from '../../envoy/loader-struct.ts';
import { CaProtocolError } from './errors.ts';

/** Full gRPC service name, as Istio's agents dial it. */
export const CA_SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';

/** The request as proto-loader gives it (defaults filled in, int64 as a number). */
export interface IstioCertificateRequest {
  csr: string;
  /** Seconds; 0 asks for the CA's default. */
  validity_duration: number;
  metadata?: LoaderStruct | null;
}

export interface IstioCertificateResponse {
  /** PEM certificates, leaf first, root last. */
  cert_chain: string[];
}

export interface CaPackage {
  grpcObject: GrpcObject;
  /** Client constructor; its `.service` is the ServiceDefinition servers add. */
  IstioCertificateService: ServiceClientConstructor;
  service: ServiceDefinition;
}

const PROTO = fileURLToPath(new URL('./ca.proto', import.meta.url));
let cached: CaPackage | undefined;

export function loadCaPackage(): CaPackage {
  if (cached) return cached;
  let grpcObject: GrpcObject;
  try {
    // longs: Number — validity_duration is seconds, far inside 2^53.
    // defaults: true — an unset csr reads as '' and an unset validity as 0, as in Go.
    const definition = loadSync(PROTO, {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    grpcObject = loadPackageDefinition(definition);
  } catch (err) {
    throw new CaProtocolError(
      'PETREL_CA_PROTO_LOAD',
      `loading ${PROTO}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const ctor = (((grpcObject['istio'] as GrpcObject)['v1'] as GrpcObject)['auth'] as GrpcObject)[
    'IstioCertificateService'
  ];
  if (typeof ctor !== 'function')
    throw new CaProtocolError('PETREL_CA_PROTO_LOAD', `${CA_SERVICE_NAME} missing from ${PROTO}`);
  const IstioCertificateService = ctor as ServiceClientConstructor;
  cached = { grpcObject, IstioCertificateService, service: IstioCertificateService.service };
  return cached;
}
