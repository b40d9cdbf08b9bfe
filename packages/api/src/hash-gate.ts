import { ShardcastError } from "@shardcast/core";

/**
 * Bounds the password checks one console process runs at once. Each scrypt check holds ~128 MiB
 * and a core for a fraction of a second, and runs even for unknown emails (so they cannot be told
 * apart), so without a bound a burst of sign-ins exhausts memory and delays everyone's sign-in.
 * Past `running` checks, up to `waiting` more wait at most `waitMs` for a turn; anything beyond
 * is refused at once with `unavailable` (503 with Retry-After) before any hashing.
 */
export interface HashGateOptions {
  running: number;
  waiting: number;
  waitMs: number;
}

export const DEFAULT_HASH_GATE: HashGateOptions = { running: 2, waiting: 4, waitMs: 3_000 };

/** What a refused check tells the client to wait: about one check's time. */
const RETRY_AFTER_MS = 1_000;

export interface HashGate {
  /** Runs `work` when a turn is free; throws `unavailable` (without running it) when none comes. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createHashGate(opts: HashGateOptions = DEFAULT_HASH_GATE): HashGate {
  let running = 0;
  const queue: Array<() => void> = [];
  const busy = () =>
    new ShardcastError("unavailable", "The console is busy checking other sign-ins. Try again in a moment.", { retryAfterMs: RETRY_AFTER_MS });

  const turn = (): Promise<void> => {
    if (running < opts.running) {
      running++;
      return Promise.resolve();
    }
    if (queue.length >= opts.waiting) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const start = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(start), 1);
        reject(busy());
      }, opts.waitMs);
      timer.unref();
      queue.push(start);
    });
  };

  const release = () => {
    const next = queue.shift();
    // The turn passes straight to the next waiter, so `running` stays as it is.
    if (next) next();
    else running--;
  };

  return {
    async run(work) {
      await turn();
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
