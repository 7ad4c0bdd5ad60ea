// Polls an asynchronous condition the code under test makes true (a push, an ACK, a
// certificate rotation). A probe that throws counts as not yet; the bound only stops
// a broken test from hanging, no test asserts how long anything took.
export async function until(
  cond: () => Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
