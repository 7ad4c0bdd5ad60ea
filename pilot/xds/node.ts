// The xDS Node as @grpc/proto-loader decodes it, turned into the plain form
// pilot/model/proxy.ts parses: google.protobuf.Struct metadata becomes plain
// JSON. protobufjs ships google/protobuf/struct.proto pre-built with camelCase
// field names (keepCase does not reach it), so Value members arrive as
// `stringValue`, `structValue`, … with `kind` naming the set one; snake_case
// spellings are accepted too in case a loader differs.

export interface WireNode {
  id?: string;
  cluster?: string;
  metadata?: { fields?: Record<string, unknown> } | null;
  user_agent_name?: string;
}

type WireValue = Record<string, unknown>;

const KINDS: Record<string, 'null' | 'number' | 'string' | 'bool' | 'struct' | 'list'> = {
  nullValue: 'null',
  null_value: 'null',
  numberValue: 'number',
  number_value: 'number',
  stringValue: 'string',
  string_value: 'string',
  boolValue: 'bool',
  bool_value: 'bool',
  structValue: 'struct',
  struct_value: 'struct',
  listValue: 'list',
  list_value: 'list',
};

function valueToJson(value: unknown): unknown {
  if (!value || typeof value !== 'object') return null;
  const v = value as WireValue;
  const key =
    typeof v.kind === 'string' && v.kind in KINDS
      ? v.kind
      : Object.keys(v).find((k) => k in KINDS && v[k] != null);
  if (!key) return null;
  const member = v[key];
  switch (KINDS[key]) {
    case 'number':
    case 'string':
    case 'bool':
      return member;
    case 'struct':
      return structToJson(member as { fields?: Record<string, unknown> });
    case 'list':
      return (((member as { values?: unknown[] } | undefined)?.values ?? []) as unknown[]).map(
        valueToJson,
      );
    default:
      return null;
  }
}

export function structToJson(
  s: { fields?: Record<string, unknown> } | null | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = valueToJson(v);
  return out;
}

export function toXdsNode(node: WireNode | null | undefined): {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
} {
  return {
    id: node?.id ?? '',
    cluster: node?.cluster ?? '',
    metadata: structToJson(node?.metadata),
  };
}
