// The one shape every config object has inside Petrel, whichever source it came
// from (YAML file or Kubernetes API): Kubernetes' own object envelope.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  uid?: string;
}

/** A config object as stored: envelope plus the kind's spec (or, for core kinds, the whole object). */
export interface ConfigObject<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  /** Fields outside spec that core Kubernetes kinds carry (EndpointSlice.endpoints, Secret.data, …). */
  [field: string]: unknown;
}

/** Where an object came from, for error messages: a file path or `kube`. */
export interface ConfigOrigin {
  source: string;
}

/** `kind/namespace/name`, the key objects are stored and diffed under. */
export function configKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function keyOf(obj: ConfigObject): string {
  return configKey(obj.kind, obj.metadata.namespace, obj.metadata.name);
}
