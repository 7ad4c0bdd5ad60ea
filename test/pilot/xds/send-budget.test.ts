import { describe, expect, it } from 'vitest';
import { SendBudget } from '../../../pilot/xds/send-budget.ts';

describe('SendBudget', () => {
  it('has room until more than the limit is out, and gives room back as bytes are released', async () => {
    const budget = new SendBudget(100);
    expect(budget.room()).toBeUndefined();
    const a = budget.take(80);
    expect(budget.room()).toBeUndefined();
    // One more response may exceed the limit: work already started finishes.
    const b = budget.take(500);
    expect(budget.outstanding).toBe(580);
    let resumed = false;
    const waiting = budget.room()!.then(() => (resumed = true));
    a();
    await Promise.resolve();
    expect(resumed).toBe(false);
    b();
    b(); // a second release of the same bytes changes nothing
    await waiting;
    expect(resumed).toBe(true);
    expect(budget.outstanding).toBe(0);
    expect(budget.room()).toBeUndefined();
  });
});
