import { afterEach, describe, expect, it } from 'vitest';
import { Warming } from '../../../sidecar/agent/warming.ts';

let warming: Warming | undefined;
afterEach(() => warming?.clear());

describe('Warming', () => {
  it('is warm once every awaited name has arrived, without calling the timeout hook', async () => {
    const fired: string[][] = [];
    warming = new Warming((t) => fired.push(t));
    warming.await('a', 0);
    warming.await('b', 50);
    expect(warming.pending()).toEqual(['a', 'b']);
    warming.settle((n) => n === 'a');
    expect(warming.active).toBe(true);
    warming.settle(() => true);
    expect(warming.active).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toEqual([]);
  });

  it('gives up on names whose deadline passed and reports them once nothing else is awaited', async () => {
    const fired: string[][] = [];
    warming = new Warming((t) => fired.push(t));
    warming.await('slow', 20);
    warming.await('later', 60);
    await new Promise((r) => setTimeout(r, 40));
    expect(warming.pending()).toEqual(['later']);
    expect(fired).toEqual([]);
    await new Promise<void>((resolve) => {
      const check = () => (fired.length ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(fired).toEqual([['slow', 'later']]);
    expect(warming.active).toBe(false);
  });

  it('waits for ever when the timeout is 0', async () => {
    warming = new Warming(() => {});
    warming.await('forever', 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(warming.pending()).toEqual(['forever']);
  });
});
