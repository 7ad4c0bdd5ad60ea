// The catalogue of every message `petrel analyze` prints, each code listed once.
// Where Istio has the same check, its code, level and wording are used
// (istio pkg/config/analysis/msg/messages.yaml), so people and tools that know
// `istioctl analyze` read Petrel's output unchanged; Petrel's own checks use
// PTR codes from PTR0001 up.

export type Level = 'Error' | 'Warning' | 'Info';

export interface MessageType {
  code: string;
  name: string;
  level: Level;
  description: string;
}

/** A message of one type with its text filled in (Istio's template applied to the arguments). */
export interface MessageText {
  type: MessageType;
  text: string;
}

interface Definition<A extends unknown[]> extends MessageType {
  make(...args: A): MessageText;
}

function define<A extends unknown[]>(
  code: string,
  name: string,
  level: Level,
  description: string,
  template: (...args: A) => string,
): Definition<A> {
  const type: MessageType = { code, name, level, description };
  return { ...type, make: (...args: A) => ({ type, text: template(...args) }) };
}

/** Go's %q for the plain strings these messages quote. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** Go's %v of a []string: `[a b]`. */
function list(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

export const MESSAGES = {
  InternalError: define(
    'IST0001',
    'InternalError',
    'Error',
    'There was an internal error in the toolchain. This is almost always a bug in the implementation.',
    (detail: string) => `Internal error: ${detail}`,
  ),
  ReferencedResourceNotFound: define(
    'IST0101',
    'ReferencedResourceNotFound',
    'Error',
    'A resource being referenced does not exist.',
    (reftype: string, refval: string) => `Referenced ${reftype} not found: ${q(refval)}`,
  ),
  SchemaValidationError: define(
    'IST0106',
    'SchemaValidationError',
    'Error',
    'The resource has a schema validation error.',
    (err: string) => `Schema validation error: ${err}`,
  ),
  ConflictingMeshGatewayVirtualServiceHosts: define(
    'IST0109',
    'ConflictingMeshGatewayVirtualServiceHosts',
    'Error',
    'Conflicting hosts on VirtualServices associated with mesh gateway',
    (virtualServices: string, host: string) =>
      `The VirtualServices ${virtualServices} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
  ),
  VirtualServiceDestinationPortSelectorRequired: define(
    'IST0112',
    'VirtualServiceDestinationPortSelectorRequired',
    'Error',
    'A VirtualService routes to a service with more than one port exposed, but does not specify which to use.',
    (destHost: string, destPorts: readonly number[]) =>
      `This VirtualService routes to a service ${q(destHost)} that exposes multiple ports ${list(destPorts.map(String))}. Specifying a port in the destination is required to disambiguate.`,
  ),
  MTLSPolicyConflict: define(
    'IST0113',
    'MTLSPolicyConflict',
    'Error',
    'A DestinationRule and Policy are in conflict with regards to mTLS.',
    (host: string, destinationRule: string, mtls: boolean, policy: string, policyMode: string) =>
      `A DestinationRule and Policy are in conflict with regards to mTLS for host ${host}. The DestinationRule ${q(destinationRule)} specifies that mTLS must be ${mtls} but the Policy object ${q(policy)} specifies ${policyMode}.`,
  ),
  PortNameIsNotUnderNamingConvention: define(
    'IST0118',
    'PortNameIsNotUnderNamingConvention',
    'Info',
    'Port name is not under naming convention. Protocol detection is applied to the port.',
    (portName: string, port: number, targetPort: string) =>
      `Port name ${portName} (port: ${port}, targetPort: ${targetPort}) doesn't follow the naming convention of Istio port.`,
  ),
  NoServerCertificateVerificationDestinationLevel: define(
    'IST0128',
    'NoServerCertificateVerificationDestinationLevel',
    'Warning',
    'No caCertificates are set in DestinationRule, this results in no verification of presented server certificate.',
    (destinationRule: string, namespace: string, mode: string, host: string) =>
      `DestinationRule ${destinationRule} in namespace ${namespace} has TLS mode set to ${mode} but no caCertificates are set to validate server identity for host: ${host}`,
  ),
  NoServerCertificateVerificationPortLevel: define(
    'IST0129',
    'NoServerCertificateVerificationPortLevel',
    'Warning',
    'No caCertificates are set in DestinationRule, this results in no verification of presented server certificate for traffic to a given port.',
    (destinationRule: string, namespace: string, mode: string, host: string, port: string) =>
      `DestinationRule ${destinationRule} in namespace ${namespace} has TLS mode set to ${mode} but no caCertificates are set to validate server identity for host: ${host} at port ${port}`,
  ),
  VirtualServiceHostNotFoundInGateway: define(
    'IST0132',
    'VirtualServiceHostNotFoundInGateway',
    'Warning',
    'Host defined in VirtualService not found in Gateway.',
    (hosts: readonly string[], virtualService: string, gateway: string) =>
      `one or more host ${list(hosts)} defined in VirtualService ${virtualService} not found in Gateway ${gateway}.`,
  ),
  ConflictingGateways: define(
    'IST0145',
    'ConflictingGateways',
    'Error',
    'Gateway should not have the same selector, port and matched hosts of server',
    (gateways: string, selector: string, port: string, hosts: string) =>
      `Conflict with gateways ${gateways} (workload selector ${selector}, port ${port}, hosts ${hosts}).`,
  ),
  DestinationRuleSubsetNotSelectPods: define(
    'IST0173',
    'DestinationRuleSubsetNotSelectPods',
    'Error',
    'Subsets defined in destination does not select any pods.',
    (subset: string) =>
      `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  ),
  UnknownDestinationRuleHost: define(
    'IST0174',
    'UnknownDestinationRuleHost',
    'Warning',
    'Host defined in destination rule does not match any services in the mesh.',
    (host: string) =>
      `The host ${host} defined in the DestinationRule does not match any services in the mesh.`,
  ),
  // Petrel's own checks.
  NotImplementedByPetrel: define(
    'PTR0001',
    'NotImplementedByPetrel',
    'Warning',
    'Valid Istio configuration that Petrel accepts but does not act on yet.',
    (detail: string) => `Not implemented by Petrel: ${detail}`,
  ),
  DuplicateResource: define(
    'PTR0002',
    'DuplicateResource',
    'Error',
    'The same kind, namespace and name is defined more than once; pilot keeps the first.',
    (other: string) => `Resource defined more than once: also at ${other}`,
  ),
  ServiceModelProblem: define(
    'PTR0003',
    'ServiceModelProblem',
    'Warning',
    'Pilot skips or overrides part of the service registry when it builds its model.',
    (detail: string) => `Service registry: ${detail}`,
  ),
} as const;

/** Every message type, in code order (for `--list` and documentation). */
export function allMessageTypes(): MessageType[] {
  return Object.values(MESSAGES)
    .map(({ code, name, level, description }) => ({ code, name, level, description }))
    .sort((a, b) => a.code.localeCompare(b.code));
}
