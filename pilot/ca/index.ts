// The mesh CA's entry points for pilot/main.ts.
//
// Simplest: startCaServer({ stateDir | kube | cacertsDir, bootstrapTokensFile,
// port: 15012, services: [(s) => xds.addToServer(s)] }) — the CA and ADS on one
// TLS port. To own the gRPC server instead: MeshCa.create, buildAuthenticators,
// createCaService(...).addToServer(server), and bind it with
// caServerCredentials(await ServingCertProvider.create(ca)).
export { startCaServer, buildAuthenticators } from './ca-server.ts';
export type { AuthnOptions, CaServerOptions, RunningCaServer } from './ca-server.ts';
export { createCaService, authenticateCaller } from './ca-service.ts';
export type { CaService, CaServiceOptions } from './ca-service.ts';
export { MeshCa, DEFAULT_LEAF_TTL_SECONDS, DEFAULT_MAX_TTL_SECONDS } from './mesh-ca.ts';
export type { MeshCaOptions } from './mesh-ca.ts';
export {
  ServingCertProvider,
  caServerCredentials,
  DEFAULT_SERVING_DNS,
  DEFAULT_SERVING_IPS,
} from './serving-cert.ts';
export type { ServingCertOptions, ServingMaterial } from './serving-cert.ts';
export {
  publishRootCertConfigMap,
  writeRootCertFile,
  ROOT_CERT_CONFIGMAP,
  ROOT_CERT_KEY,
} from './root-publish.ts';
export { CA_SECRET_NAME, DEFAULT_CA_NAMESPACE } from './root-store.ts';
export { BootstrapTokenAuthenticator, parseBootstrapTokens } from './authn-bootstrap-token.ts';
export type { BootstrapToken } from './authn-bootstrap-token.ts';
export { TokenReviewAuthenticator, ISTIO_CA_AUDIENCE } from './authn-token-review.ts';
export { ClientCertAuthenticator } from './authn-client-cert.ts';
export { CaError } from './errors.ts';
export type { CaErrorCode } from './errors.ts';
export type { Authenticator, CaLogger, Caller } from './types.ts';
