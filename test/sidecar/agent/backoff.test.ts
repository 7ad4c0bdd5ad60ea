import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../sidecar/agent/backoff.ts';

describe('Backoff', () => {
  it('doubles from 0.5 s up to a 30 s cap by default', () => {
    const b = new Backoff({ random: () => 0.5 }); // 0.5 → no jitter offset
    const delays = Array.from({ length: 9 }, () => b.nextDelayMs());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('jitters each delay within ±20% and never above the cap', () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    expect(low.nextDelayMs()).toBe(400);
    expect(high.nextDelayMs()).toBe(600);
    for (let i = 0; i < 10; i++) high.nextDelayMs();
    expect(high.nextDelayMs()).toBe(30000);
  });

  it('starts again from the initial delay after a reset', () => {
    const b = new Backoff({ random: () => 0.5, initialMs: 100 });
    b.nextDelayMs();
    b.nextDelayMs();
    b.reset();
    expect(b.nextDelayMs()).toBe(100);
  });
});
