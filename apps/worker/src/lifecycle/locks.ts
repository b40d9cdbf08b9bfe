import { ShardcastError } from "@shardcast/core";
import type { OpLockHandle, OpLockHoldOptions, OpLocks } from "@shardcast/runtime/oplock";

/** The op-locks of every shardlet a job changes, held together. */
export interface HeldLocks {
  readonly shardletIds: readonly string[];
  /** Aborted when any of the locks is lost. */
  readonly signal: AbortSignal;
  /** Throws `conflict` unless every lock is still held: call before each step. */
  assertHeld(): void;
}

/**
 * Runs `fn` holding the op-locks of `ids`, taken in id order (two jobs that need overlapping sets
 * then cannot each hold one and wait for the other) and released in reverse.
 */
export async function withOpLocks<T>(locks: OpLocks | undefined, ids: readonly string[], fn: (held: HeldLocks) => Promise<T>, hold?: OpLockHoldOptions): Promise<T> {
  if (!locks) throw new ShardcastError("unavailable", "op-locks are not configured on this worker");
  const sorted = [...new Set(ids)].sort();
  const handles: OpLockHandle[] = [];
  const take = async (i: number): Promise<T> => {
    const id = sorted[i];
    if (id === undefined) {
      return fn({
        shardletIds: sorted,
        signal: AbortSignal.any(handles.map((h) => h.signal)),
        assertHeld() {
          for (const h of handles) h.assertHeld();
        },
      });
    }
    return locks.withOpLock(
      id,
      async (handle) => {
        handles.push(handle);
        return take(i + 1);
      },
      hold,
    );
  };
  return take(0);
}
