import { describe, expect, test } from 'vitest';
import { structToJson, toXdsNode } from '../../../pilot/xds/node.ts';

describe('xDS Node metadata', () => {
  test('Struct metadata as proto-loader decodes it (camelCase members, kind) becomes plain JSON', () => {
    const node = toXdsNode({
      id: 'sidecar~10.0.0.1~a.ns~ns.svc.cluster.local',
      metadata: {
        fields: {
          NAMESPACE: { kind: 'stringValue', stringValue: 'ns' },
          LABELS: {
            kind: 'structValue',
            structValue: { fields: { app: { kind: 'stringValue', stringValue: 'a' } } },
          },
          PORTS: {
            kind: 'listValue',
            listValue: {
              values: [
                { kind: 'numberValue', numberValue: 80 },
                { kind: 'boolValue', boolValue: true },
              ],
            },
          },
          NOTHING: { kind: 'nullValue', nullValue: 'NULL_VALUE' },
        },
      },
    });
    expect(node.metadata).toEqual({
      NAMESPACE: 'ns',
      LABELS: { app: 'a' },
      PORTS: [80, true],
      NOTHING: null,
    });
  });

  test('snake_case members without kind are read too; a missing node gives empty fields', () => {
    expect(structToJson({ fields: { A: { string_value: 'x' }, B: { number_value: 0 } } })).toEqual({
      A: 'x',
      B: 0,
    });
    expect(toXdsNode(undefined)).toEqual({ id: '', cluster: '', metadata: {} });
  });
});
