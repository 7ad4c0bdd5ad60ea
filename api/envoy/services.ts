// gRPC service definitions for the xDS transport, loaded with @grpc/proto-loader
// from the same .proto files as the registry.
//
// Messages on these services are proto-loader's plain objects: Any fields stay
// packed (`{ type_url, value: Buffer }`), to be opened with decodeAny.

import { loadPackageDefinition } from '@grpc/grpc-js';
import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import { EnvoyProtoError } from './errors.ts';
import { includeDirs } from './proto-files.ts';

/** Full gRPC service names. */
export const ServiceName = {
  Ads: 'envoy.service.discovery.v3.AggregatedDiscoveryService',
  Sds: 'envoy.service.secret.v3.SecretDiscoveryService',
  Csds: 'envoy.service.status.v3.ClientStatusDiscoveryService',
  Lrs: 'envoy.service.load_stats.v3.LoadReportingService',
} as const;

const FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/service/load_stats/v3/lrs.proto',
];

export interface XdsPackage {
  packageDefinition: PackageDefinition;
  grpcObject: GrpcObject;
  /** Client constructors (their `.service` is the ServiceDefinition). */
  AggregatedDiscoveryService: ServiceClientConstructor;
  SecretDiscoveryService: ServiceClientConstructor;
  ClientStatusDiscoveryService: ServiceClientConstructor;
  LoadReportingService: ServiceClientConstructor;
}

let cached: XdsPackage | undefined;

function constructorAt(obj: GrpcObject, fullName: string): ServiceClientConstructor {
  let node: unknown = obj;
  for (const part of fullName.split('.'))
    node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function')
    throw new EnvoyProtoError(
      'PETREL_ENVOY_PROTO_LOAD',
      `service ${fullName} missing from the xDS protos`,
    );
  return node as ServiceClientConstructor;
}

/**
 * The xDS services (ADS with SotW and delta streams, SDS, CSDS, LRS) as a
 * grpc-js package. Options as grpc-js-xds uses them: snake_case names, enums
 * as strings, 64-bit integers as strings, only fields that are set, oneofs
 * named by their set member.
 */
export function loadAdsPackage(): XdsPackage {
  if (cached) return cached;
  let packageDefinition: PackageDefinition;
  try {
    packageDefinition = loadSync(FILES, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
      includeDirs: includeDirs(),
    });
  } catch (err) {
    throw new EnvoyProtoError(
      'PETREL_ENVOY_PROTO_LOAD',
      `loading xDS service protos: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const grpcObject = loadPackageDefinition(packageDefinition);
  cached = {
    packageDefinition,
    grpcObject,
    AggregatedDiscoveryService: constructorAt(grpcObject, ServiceName.Ads),
    SecretDiscoveryService: constructorAt(grpcObject, ServiceName.Sds),
    ClientStatusDiscoveryService: constructorAt(grpcObject, ServiceName.Csds),
    LoadReportingService: constructorAt(grpcObject, ServiceName.Lrs),
  };
  return cached;
}

/** The ADS service definition, for `server.addService(adsServiceDefinition(), handlers)`. */
export function adsServiceDefinition(): ServiceDefinition {
  return loadAdsPackage().AggregatedDiscoveryService.service;
}
