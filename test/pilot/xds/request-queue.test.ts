// The ADS request queue: FIFO, an event-loop turn between requests (so a
// response written by one is flushed before the next is generated), and a
// failing request reported without stopping the ones behind it.
import { describe, expect, it } from 'vitest';
import { RequestQueue } from '../../../pilot/xds/request-queue.ts';

const turn = () => new Promise((r) => setImmediate(r));

describe('RequestQueue', () => {
  it('runs requests in order, not inside the caller, with a turn of the event loop between them', async () => {
    const errors: unknown[] = [];
    const q = new RequestQueue((err) => errors.push(err));
    const log: string[] = [];
    q.enqueue(() => {
      log.push('a');
      // Work the event loop would do between requests (e.g. an HTTP/2 write).
      setImmediate(() => log.push('io after a'));
    });
    q.enqueue(() => log.push('b'));
    q.enqueue(() => {
      throw new Error('boom');
    });
    q.enqueue(() => log.push('c'));
    expect(log).toEqual([]);
    expect(q.pending).toBe(4);
    for (let i = 0; i < 10 && q.pending > 0; i++) await turn();
    await turn();
    expect(log).toEqual(['a', 'io after a', 'b', 'c']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    expect(q.pending).toBe(0);
    q.enqueue(() => log.push('d'));
    await turn();
    expect(log.at(-1)).toBe('d');
  });

  it('holds every request while the gate says wait, and runs them in order after', async () => {
    let open = false;
    let opened!: () => void;
    const gate = new Promise<void>((resolve) => (opened = resolve));
    const q = new RequestQueue(
      () => {},
      () => (open ? undefined : gate),
    );
    const log: string[] = [];
    q.enqueue(() => log.push('a'));
    q.enqueue(() => log.push('b'));
    for (let i = 0; i < 5; i++) await turn();
    expect(log).toEqual([]);
    open = true;
    opened();
    for (let i = 0; i < 5 && q.pending > 0; i++) await turn();
    expect(log).toEqual(['a', 'b']);
  });
});
