import type { EdgeEvent } from "./edge.ts";

export interface Producer {
  /** Ends the loop after the batch in flight and reports what the edge acknowledged and every failure. */
  stop(): Promise<{ acked: number; errors: string[] }>;
}

/**
 * A producer in the background: a batch of `batchSize` events every 250 ms until stopped, event
 * `n` made by `event(n)` (numbered across batches), each batch handed to `send`, which returns how
 * many events were accepted and throws on a refusal. A failed batch is recorded, not thrown, so the
 * test goes on and asserts on `stop()`'s report.
 */
export function startProducer<E extends EdgeEvent>(options: {
  batchSize: number;
  event: (n: number) => E;
  send: (events: E[]) => Promise<number>;
}): Producer {
  const { batchSize, event, send } = options;
  let running = true;
  let acked = 0;
  const errors: string[] = [];
  const loop = (async () => {
    for (let batch = 0; running; batch++) {
      const events = Array.from({ length: batchSize }, (_, i) => event(batch * batchSize + i));
      try {
        acked += await send(events);
      } catch (err) {
        errors.push(String(err));
      }
      // The producer's pace, not a wait for anything.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { acked, errors };
    },
  };
}
