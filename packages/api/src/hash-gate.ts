import { ShardcastError } from "@shardcast/core";

/**
 * Bounds the password checks one console process runs at once. Each scrypt check holds ~128 MiB
 * and a core for a fraction of a second, and runs even for unknown emails (so they cannot be told
 * apart), so without a bound a burst of sign-ins exhausts memory and delays everyone's sign-in.
 * Past `running` checks, up to `waiting` more wait at most `waitMs` for a turn; anything beyond
 * is refused at once with `unavailable` (503 with Retry-After) before any hashing.
 *
 * `reserved` more turns are kept for sign-ins from a source that signed in to the email before:
 * a flood from fresh addresses (each under its own limits) can keep every open turn taken, and
 * would otherwise shut the owners out with it. Their waiters go first when a turn frees.
 */
export interface HashGateOptions {
  running: number;
  waiting: number;
  waitMs: number;
  reserved: number;
}

export const DEFAULT_HASH_GATE: HashGateOptions = { running: 2, waiting: 4, waitMs: 3_000, reserved: 1 };

/** What a refused check tells the client to wait: about one check's time. */
const RETRY_AFTER_MS = 1_000;

export interface HashGate {
  /**
   * Runs `work` when a turn is free; throws `unavailable` (without running it) when none comes.
   * `known` work may also take the reserved turns.
   */
  run<T>(work: () => Promise<T>, opts?: { known?: boolean }): Promise<T>;
}

export function createHashGate(options: Partial<HashGateOptions> = {}): HashGate {
  const opts: HashGateOptions = { ...DEFAULT_HASH_GATE, ...options };
  let running = 0;
  const queues = { known: [] as Array<() => void>, other: [] as Array<() => void> };
  const limit = (known: boolean) => opts.running + (known ? opts.reserved : 0);
  const busy = () =>
    new ShardcastError("unavailable", "The console is busy checking other sign-ins. Try again in a moment.", { retryAfterMs: RETRY_AFTER_MS });

  const turn = (known: boolean): Promise<void> => {
    if (running < limit(known)) {
      running++;
      return Promise.resolve();
    }
    const queue = known ? queues.known : queues.other;
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
    running--;
    // Known sources first; a freed reserved turn is not handed to the others.
    const next = queues.known.length > 0 ? queues.known.shift() : running < limit(false) ? queues.other.shift() : undefined;
    if (next) {
      running++;
      next();
    }
  };

  return {
    async run(work, runOpts) {
      await turn(runOpts?.known === true);
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
