// The contract between generators (pure translation) and the ADS server.
import type { Proxy } from '../model/proxy.ts';

// The Envoy object form (snake_case fields, inline Any with '@type', Duration as
// "1.5s") is defined in api/envoy/types.ts; see api/envoy/registry.ts.
import type { EnvoyResource } from '../../api/envoy/types.ts';

export type { EnvoyResource };

export interface GeneratedResource {
  /** The xDS resource name (listener name, cluster name, route config name, …). */
  name: string;
  resource: EnvoyResource;
}

/**
 * One xDS type's generator: a pure function of the push snapshot and the proxy.
 * `names` are the resource names the proxy subscribed to; empty means wildcard.
 */
export interface Generator<Push = unknown> {
  readonly typeUrl: string;
  generate(push: Push, proxy: Proxy, names: readonly string[]): GeneratedResource[];
}
