import { describe, expect, it } from 'vitest';
import type { EncodedResource } from '../../../pilot/xds/encode.ts';
import { HeldResources } from '../../../pilot/xds/held-resources.ts';
import { Subscription } from '../../../pilot/xds/subscription.ts';

const res = (name: string, version: string): EncodedResource => ({
  name,
  version,
  any: { type_url: 'type.googleapis.com/x', value: Buffer.from(name + version) },
});

describe('HeldResources', () => {
  it('after a full answer holds exactly its list, and keeps names the list lost (SotW announces no removal)', () => {
    const held = new HeldResources();
    const first = [res('a', '1'), res('b', '1'), res('c', '1')];
    held.rebase(first);
    expect(held.whole).toBe(first);
    const second = [res('a', '2'), res('b', '1')];
    held.rebase(second);
    expect(held.version('a')).toBe('2');
    expect(held.version('c')).toBe('1');
    expect(held.names().sort()).toEqual(['a', 'b', 'c']);
    expect(held.whole).toBe(second);
  });

  it('a scoped change of a base name means the base is no longer held whole', () => {
    const held = new HeldResources();
    const list = [res('a', '1'), res('b', '1')];
    held.rebase(list);
    held.hold(res('b', '2'));
    expect(held.whole).toBeUndefined();
    expect(held.version('b')).toBe('2');
    expect(held.resources().map((r) => `${r.name}@${r.version}`)).toEqual(['a@1', 'b@2']);
    // The next full answer makes it whole again.
    held.rebase(list);
    expect(held.whole).toBe(list);
    expect(held.version('b')).toBe('1');
  });

  it('declared versions count as known but carry no resource until one is held', () => {
    const held = new HeldResources();
    held.declare('a', '7');
    expect(held.version('a')).toBe('7');
    expect(held.resource('a')).toBeUndefined();
    expect(held.resources()).toEqual([]);
    expect(held.versionCount()).toBe(1);
    held.drop('a');
    expect(held.names()).toEqual([]);
  });

  it('forgetting a version keeps the resource but sends it again', () => {
    const held = new HeldResources();
    const a = res('a', '1');
    held.rebase([a]);
    held.forgetVersion('a');
    expect(held.version('a')).toBeUndefined();
    expect(held.resource('a')).toBe(a);
    expect(held.whole).toBeUndefined();
  });
});

describe('Subscription names', () => {
  it('subscriptions asking for the same names share one list and one set', () => {
    const a = new Subscription('t', false);
    const b = new Subscription('t', false);
    a.replaceNames(['x', 'y', 'x'], false);
    b.replaceNames(['x', 'y'], false);
    expect(a.nameList()).toEqual(['x', 'y']);
    expect(a.nameList()).toBe(b.nameList());
    expect(a.names).toBe(b.names);
    // A delta edit of one copies, never changes the other's.
    const c = new Subscription('t', false);
    c.applyDelta(['x', 'y'], []);
    expect(c.names).toBe(a.names);
    c.applyDelta(['z'], ['x']);
    expect([...c.names]).toEqual(['y', 'z']);
    expect([...a.names]).toEqual(['x', 'y']);
  });
});
