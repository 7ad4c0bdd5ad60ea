// The contract between the agent (xDS client) and the data path (listeners,
// routing, upstreams). The agent decodes and validates each xDS response, then
// hands the full current set of that type to the data path; the data path either
// takes it whole or rejects it whole with errors, which the agent sends back as a NACK.
import type { EnvoyResource } from '../pilot/translate/types.ts';

export type { EnvoyResource };

export interface ApplyResult {
  /** One line per problem, `resource-name: field.path: message`; empty means applied. */
  errors: string[];
  /**
   * Problems found after applyConfig returned (listener sockets still binding), same
   * line format. The set is applied except for the resources these lines name, which
   * keep their previous state; the agent waits for it and then ACKs or NACKs.
   */
  pending?: Promise<string[]>;
}

export interface DataPlane {
  /**
   * Replaces the proxy's resources of one xDS type with `resources` (name → resource),
   * atomically. Clusters (and their endpoints) arrive before the listeners and routes
   * that use them, as Envoy's warming order does.
   */
  applyConfig(typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>): ApplyResult;
  /**
   * Stop taking new inbound connections and requests (Istio drains inbound listeners
   * only, so the app's own outbound calls keep working while it shuts down); resolve
   * when in-flight work has finished.
   */
  drain?(): Promise<void> | void;
  /** Close every listener and upstream connection now. */
  close?(): Promise<void> | void;
}
