import { describe, expect, test } from 'vitest';
import { PushQueue, mergePushRequests } from '../../../pilot/xds/push-queue.ts';
import type { MergedPushRequest } from '../../../pilot/xds/types.ts';

describe('push queue', () => {
  test('merging ORs full, unions configs and keeps every reason and the first start time', () => {
    const merged = mergePushRequests(
      {
        full: false,
        configsUpdated: new Set(['Service/default/a']),
        reason: ['endpoint'],
        startedAt: 1,
      },
      {
        full: true,
        configsUpdated: new Set(['Service/default/b', 'Service/default/a']),
        reason: ['config'],
      },
    );
    expect(merged.full).toBe(true);
    expect([...merged.configsUpdated].sort()).toEqual(['Service/default/a', 'Service/default/b']);
    expect(merged.reason).toEqual(['endpoint', 'config']);
    expect(merged.startedAt).toBe(1);
  });

  test('requests arriving during a dispatch are merged into the next one', async () => {
    const seen: { push: number; request: MergedPushRequest }[] = [];
    let release!: () => void;
    const queue = new PushQueue<number>({
      quietMs: 1,
      maxMs: 10,
      dispatch: async (push, request) => {
        seen.push({ push, request });
        if (push === 1) await new Promise<void>((r) => (release = r));
      },
    });
    queue.enqueue(1, { full: false, configsUpdated: new Set(), reason: ['endpoint'] });
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 2));
    queue.enqueue(2, { full: false, configsUpdated: new Set(['a']), reason: ['endpoint'] });
    queue.enqueue(3, { full: true, configsUpdated: new Set(['b']), reason: ['config'] });
    release();
    await queue.idle();
    expect(seen.map((s) => s.push)).toEqual([1, 3]);
    expect(seen[1]!.request).toMatchObject({ full: true, reason: ['endpoint', 'config'] });
    expect([...seen[1]!.request.configsUpdated].sort()).toEqual(['a', 'b']);
  });

  test('a failing dispatch is reported and the queue keeps working', async () => {
    const errors: unknown[] = [];
    const done: number[] = [];
    const queue = new PushQueue<number>({
      quietMs: 1,
      maxMs: 5,
      dispatch: async (push) => {
        if (push === 1) throw new Error('boom');
        done.push(push);
      },
      onError: (e) => errors.push(e),
    });
    queue.enqueue(1, { full: true, configsUpdated: new Set(), reason: [] });
    await queue.flush();
    queue.enqueue(2, { full: true, configsUpdated: new Set(), reason: [] });
    await queue.flush();
    expect(errors).toHaveLength(1);
    expect(done).toEqual([2]);
  });
});
