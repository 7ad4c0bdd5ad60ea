import { describe, expect, it } from 'vitest';
import { MemoryConfigStore } from '../../../pilot/config/memory-store.ts';
import type { ConfigObject } from '../../../api/config/object.ts';
import type { ConfigEvent } from '../../../pilot/config/types.ts';

function vs(name: string, host: string, namespace = 'default'): ConfigObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec: { hosts: [host] },
  };
}

describe('MemoryConfigStore', () => {
  it('a snapshot taken before a change never sees the change', () => {
    const store = new MemoryConfigStore();
    store.upsert(vs('a', 'a.example'));
    const before = store.snapshot();
    store.upsert(vs('a', 'changed.example'));
    store.upsert(vs('b', 'b.example'));
    store.remove('VirtualService', 'default', 'a');
    const after = store.snapshot();

    expect(before.list('VirtualService').map((o) => o.metadata.name)).toEqual(['a']);
    expect(
      (before.get('VirtualService', 'default', 'a')?.spec as { hosts: string[] }).hosts,
    ).toEqual(['a.example']);
    expect(after.list('VirtualService').map((o) => o.metadata.name)).toEqual(['b']);
    expect(after.get('VirtualService', 'default', 'a')).toBeUndefined();
    expect(after.revision).toBeGreaterThan(before.revision);
  });

  it('counts one revision per change and hands out the same snapshot while nothing changes', () => {
    const store = new MemoryConfigStore();
    const s0 = store.snapshot();
    store.upsert(vs('a', 'a'));
    store.upsert(vs('b', 'b'));
    const s2 = store.snapshot();
    expect(s2.revision - s0.revision).toBe(2);
    expect(store.snapshot()).toBe(s2);
  });

  it('fires add, update and delete events, and no event for a write that changes nothing', () => {
    const store = new MemoryConfigStore();
    const events: ConfigEvent[] = [];
    store.onChange((e) => events.push(e));
    store.upsert(vs('a', 'a'));
    store.upsert(vs('a', 'a')); // same content
    store.upsert({
      ...vs('a', 'a'),
      metadata: { name: 'a', namespace: 'default', resourceVersion: '7' },
    }); // bookkeeping only
    store.upsert(vs('a', 'a2'));
    store.remove('VirtualService', 'default', 'a');
    store.remove('VirtualService', 'default', 'a'); // already gone

    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual([
      'add VirtualService/default/a',
      'update VirtualService/default/a',
      'delete VirtualService/default/a',
    ]);
    expect((events[1]!.previous!.spec as { hosts: string[] }).hosts).toEqual(['a']);
    expect((events[1]!.object.spec as { hosts: string[] }).hosts).toEqual(['a2']);
  });

  it('keeps listeners apart: one that throws does not stop the others', () => {
    const failures: unknown[] = [];
    const store = new MemoryConfigStore({ onListenerError: (err) => failures.push(err) });
    const seen: string[] = [];
    store.onChange(() => {
      throw new Error('boom');
    });
    store.onChange((e) => seen.push(e.key));
    store.upsert(vs('a', 'a'));
    expect(seen).toEqual(['VirtualService/default/a']);
    expect(failures).toHaveLength(1);
  });

  it('stops calling a listener once unsubscribed', () => {
    const store = new MemoryConfigStore();
    const seen: string[] = [];
    const off = store.onChange((e) => seen.push(e.key));
    store.upsert(vs('a', 'a'));
    off();
    store.upsert(vs('b', 'b'));
    expect(seen).toEqual(['VirtualService/default/a']);
  });

  it('stores frozen copies, so neither the writer nor a reader can change a snapshot', () => {
    const store = new MemoryConfigStore();
    const obj = vs('a', 'a');
    store.upsert(obj);
    (obj.spec as { hosts: string[] }).hosts.push('mutated');
    const stored = store.snapshot().get('VirtualService', 'default', 'a')!;
    expect((stored.spec as { hosts: string[] }).hosts).toEqual(['a']);
    expect(() => (stored.spec as { hosts: string[] }).hosts.push('x')).toThrow(TypeError);
  });

  it('lists objects sorted by namespace and name, optionally in one namespace', () => {
    const store = new MemoryConfigStore();
    store.upsert(vs('z', 'z', 'bookinfo'));
    store.upsert(vs('b', 'b'));
    store.upsert(vs('a', 'a', 'bookinfo'));
    const snap = store.snapshot();
    expect(
      snap.list('VirtualService').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual(['bookinfo/a', 'bookinfo/z', 'default/b']);
    expect(snap.list('VirtualService', 'default').map((o) => o.metadata.name)).toEqual(['b']);
    expect(snap.list('Gateway')).toEqual([]);
  });
});
