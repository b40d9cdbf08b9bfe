/**
 * Calls `fn` on every item with at most `concurrency` calls in flight (the bench's producers: each
 * takes the next item as soon as its previous one is done); results come back in item order.
 * Rejects with the first error, and the producers take no new item after it, so a failed run
 * does not keep loading the cluster the caller is about to close.
 */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      try {
        while (!failed && next < items.length) {
          const i = next++;
          results[i] = await fn(items[i]!);
        }
      } catch (err) {
        failed = true;
        throw err;
      }
    }),
  );
  return results;
}
