// The Envoy proto registry's error catalogue: one class, stable codes, one line each.

export type EnvoyProtoErrorCode =
  /** The .proto files could not be found or parsed (a broken install of @grpc/grpc-js-xds). */
  | 'PETREL_ENVOY_PROTO_LOAD'
  /** A type name or type URL that the loaded protos do not define. */
  | 'PETREL_ENVOY_UNKNOWN_TYPE'
  /** An object does not fit its message type: unknown field, wrong JS type, bad enum name, … */
  | 'PETREL_ENVOY_ENCODE'
  /** Bytes that do not decode as the named message type. */
  | 'PETREL_ENVOY_DECODE';

export class EnvoyProtoError extends Error {
  readonly code: EnvoyProtoErrorCode;
  /** Every problem found, each `Type.path: what`; the message joins them. */
  readonly problems: readonly string[];

  constructor(code: EnvoyProtoErrorCode, problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? list[0] : `${list.length} problems: ${list.join('; ')}`);
    this.name = 'EnvoyProtoError';
    this.code = code;
    this.problems = list;
  }
}
