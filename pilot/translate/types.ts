// The contract between generators (pure translation) and the ADS server.
import type { Proxy } from '../model/proxy.ts';

/**
 * An Envoy resource in Petrel's object form (see api/envoy/registry.ts): field
 * names as in the .proto (snake_case), enums by name, nested Any inline with
 * '@type', Duration as a "1.5s" string, Struct as plain JSON.
 */
export type EnvoyResource = { '@type': string } & Record<string, unknown>;

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
