// The proxy's workload identity, for `petrel proxy`:
//
//   const merge = new SecretMerge(dataPlane);          // agent gets merge.xds
//   const identity = await WorkloadIdentity.start({ namespace, serviceAccount,
//     ca: { address: 'istiod:15012', rootCertFile }, tokenFile: ISTIO_TOKEN_PATH,
//     dataPlanes: [merge.identity] });
export { WorkloadIdentity, ISTIO_TOKEN_PATH } from './workload-identity.ts';
export type { IdentityLogger, WorkloadIdentityOptions } from './workload-identity.ts';
export { SecretMerge } from './secret-merge.ts';
export { identitySecrets, ROOT_SECRET, SECRET_TYPE_URL, WORKLOAD_SECRET } from './secrets.ts';
export type { IdentityMaterial } from './secrets.ts';
export { createCertificate } from './ca-client.ts';
export type { CaEndpoint, CertificateRequest } from './ca-client.ts';
export { createKeyAndCsr } from './key-csr.ts';
export { IdentityError } from './errors.ts';
export type { IdentityErrorCode } from './errors.ts';
