import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { PatchBuilder, escapePointer } from '../../injector/json-patch.ts';

const apply = (doc: object, ops: unknown[]) =>
  fastJsonPatch.applyPatch(structuredClone(doc), ops as Operation[], true, false).newDocument;

describe('PatchBuilder', () => {
  it('escapes ~ and / in keys as RFC 6901 says (~ first)', () => {
    expect(escapePointer('sidecar.istio.io/status')).toBe('sidecar.istio.io~1status');
    expect(escapePointer('a~/b')).toBe('a~0~1b');
    const p = new PatchBuilder();
    p.setEntries('/metadata/annotations', { x: '1' }, { 'a~/b': 'v' });
    expect(apply({ metadata: { annotations: { x: '1' } } }, p.ops)).toEqual({
      metadata: { annotations: { x: '1', 'a~/b': 'v' } },
    });
  });

  it('adds a missing or null map and array whole, since members of a missing parent cannot be added', () => {
    for (const doc of [
      { spec: {}, metadata: {} },
      { spec: { volumes: null }, metadata: { labels: null } },
    ]) {
      const p = new PatchBuilder();
      p.insert('/spec/volumes', (doc.spec as { volumes?: null }).volumes, 'end', [
        { name: 'a' },
        { name: 'b' },
      ]);
      p.setEntries('/metadata/labels', (doc.metadata as { labels?: null }).labels, { k: 'v' });
      expect(apply(doc, p.ops)).toEqual({
        spec: { volumes: [{ name: 'a' }, { name: 'b' }] },
        metadata: { labels: { k: 'v' } },
      });
    }
  });

  it('inserts at an index in order, or appends', () => {
    const p = new PatchBuilder();
    p.insert('/l', ['x', 'y'], 0, ['a', 'b']);
    p.insert('/l', ['a', 'b', 'x', 'y'], 'end', ['z']);
    expect(apply({ l: ['x', 'y'] }, p.ops)).toEqual({ l: ['a', 'b', 'x', 'y', 'z'] });
  });

  it('emits nothing for nothing', () => {
    const p = new PatchBuilder();
    p.insert('/l', undefined, 'end', []);
    p.setEntries('/m', undefined, {});
    expect(p.ops).toEqual([]);
  });
});
