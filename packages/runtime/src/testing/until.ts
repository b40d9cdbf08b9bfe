/**
 * Resolves once `predicate` holds, polling; fails the test at the deadline. For runtime's own
 * tests: the other packages wait with `waitFor` of `@shardcast/db/testing`, and runtime sits below
 * db and cannot import it.
 */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
