// Petrel's object form of an Envoy resource (the same shape pilot/translate/types.ts
// names; defined here too because api/ must not import from pilot/).

/**
 * Field names as in the .proto (snake_case), enums by name, nested Any inline as
 * `{ '@type': 'type.googleapis.com/<full.name>', ...fields }`, Duration and
 * Timestamp as proto3-JSON strings, Struct/Value/ListValue as plain JSON,
 * wrappers (UInt32Value, BoolValue, …) as `{ value: x }`.
 */
export type EnvoyResource = { '@type': string } & Record<string, unknown>;

/** A packed google.protobuf.Any as it travels in a DiscoveryResponse. */
export interface PackedAny {
  type_url: string;
  value: Uint8Array;
}
