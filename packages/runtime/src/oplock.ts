import { ExecutionError, Redlock, ResourceLockedError, type Lock } from "@sesamecare-oss/redlock";
import { ShardcastError } from "@shardcast/core";
import type { Redis } from "ioredis";
import type { Logger } from "./logger.ts";
import { createRedis, type RedisTarget } from "./redis.ts";

/**
 * Per-shardlet op-lock: the one job that changes a shardlet (split, merge, migrate, pre-allocate)
 * holds it. It is a Redlock lock, so several independent Redis masters can back it, and it is only
 * an optimisation for exclusion: the fencing epochs on the hosts are what keep data safe when a
 * lock is lost (Redis restart, long pause), which is why a lost lock aborts the job instead of
 * being silently re-acquired.
 */

/** Channel on which lock changes are announced: message JSON {@link OpLockMessage}. */
export function opLocksChannel(prefix: string): string {
  return `${prefix}:oplocks`;
}

export function opLockKey(prefix: string, shardletId: string): string {
  return `${prefix}:oplock:${shardletId}`;
}

export interface OpLockMessage {
  shardletId: string;
  locked: boolean;
  /**
   * With a lock: how long edges may hold the shardlet's writes back for the change to land (the
   * lock's release), before they send them to the overflow log. Set by jobs whose lock window is
   * short (hand-offs, splits, merges): a write that waits out the window is stored once, where it belongs, with
   * no overflow append, flag or drain. Absent or 0: writes take the overflow log at once.
   */
  holdMs?: number;
}

/** The longest hold a lock message may ask for: a lock that needs longer should not ask edges to wait. */
export const MAX_OP_LOCK_HOLD_MS = 5_000;

/** Parses a message from {@link opLocksChannel}; null for anything malformed. */
export function parseOpLockMessage(raw: string): OpLockMessage | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null) return null;
    const { shardletId, locked, holdMs } = value as Record<string, unknown>;
    if (typeof shardletId !== "string" || typeof locked !== "boolean") return null;
    // A malformed hold is dropped, not the message: the lock itself still matters.
    const hold = typeof holdMs === "number" && Number.isFinite(holdMs) && holdMs > 0 ? Math.min(holdMs, MAX_OP_LOCK_HOLD_MS) : 0;
    return hold > 0 && locked ? { shardletId, locked, holdMs: hold } : { shardletId, locked };
  } catch {
    return null;
  }
}

/** What a job sees while it holds a shardlet's op-lock. */
export interface OpLockHandle {
  readonly shardletId: string;
  /** Aborted when the lock is lost (extension failed) or released. `signal.reason` says why. */
  readonly signal: AbortSignal;
  /** Throws `ShardcastError("conflict")` unless the lock is still held; call it before each step. */
  assertHeld(): void;
}

export interface OpLocks {
  /**
   * Runs `fn` while holding the op-lock of `shardletId`, extending it in the background. Throws
   * `ShardcastError("conflict")` if another holder has it (after the configured retries) and
   * `ShardcastError("unavailable")` if no quorum of Redis masters answers.
   */
  withOpLock<T>(shardletId: string, fn: (lock: OpLockHandle) => Promise<T>, opts?: OpLockHoldOptions): Promise<T>;
  /** True when a quorum of masters holds a lock for the shardlet. */
  isLocked(shardletId: string): Promise<boolean>;
  /**
   * Shardlet ids locked on any master that answers, provided a quorum answers (else it throws): a
   * lock held by a quorum is then always among them. Lets an edge seed its in-memory view.
   */
  lockedShardlets(): Promise<string[]>;
  /** Stops in-flight extensions. Does not close the Redis clients: the caller owns them. */
  close(): Promise<void>;
}

export interface OpLockHoldOptions {
  /** Tells edges they may hold the shardlet's writes back this long for the change (see {@link OpLockMessage.holdMs}). */
  holdMs?: number;
}

export interface OpLockOptions {
  prefix: string;
  /** Lock lifetime; extended every `ttlMs / 3` while the job runs. Default 10 s. */
  ttlMs?: number;
  /** Acquisition retries before giving up with `conflict`. Default 0: fail fast, let the job retry. */
  retryCount?: number;
  retryDelayMs?: number;
  /** Client used to publish lock changes; defaults to the first lock client. */
  publisher?: Redis;
  log?: Logger;
}

/** Splits a comma-separated list of Redis URLs (one per independent master). */
export function parseRedisUrlList(list: string): string[] {
  const urls = list
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new ShardcastError("bad_request", "empty Redis URL list for op-locks");
  return urls;
}

/**
 * One command client per Redis master named in a comma-separated list; without a list, one client
 * on the main Redis (`fallback`, which may be a Sentinel-managed master).
 */
export function createOpLockClients(list: string | undefined, fallback: RedisTarget): Redis[] {
  const targets: Array<string | RedisTarget> = list === undefined ? [fallback] : parseRedisUrlList(list);
  return targets.map((target, i) => createRedis(target, { name: `shardcast-oplock-${i}` }));
}

/**
 * The database the lock scripts must work in. The Redlock scripts SELECT a database of their own
 * (0 unless told), while `isLocked` and `lockedShardlets` read the client's: they must agree, and
 * one Redlock has one setting for all its clients.
 */
function lockDatabase(clients: Redis[]): number {
  const dbs = new Set(clients.map((c) => c.options.db ?? 0));
  const [db, ...others] = [...dbs];
  if (db === undefined || others.length > 0) throw new ShardcastError("bad_request", "op-lock Redis masters must all use the same database number");
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new ShardcastError("bad_request", "op-lock Redis database number must be 0..15");
  return db;
}

async function lostReason(error: unknown): Promise<"conflict" | "unavailable"> {
  if (!(error instanceof ExecutionError)) return "unavailable";
  const last = error.attempts[error.attempts.length - 1];
  if (!last) return "conflict"; // "already expired": nothing reached Redis, the lock is simply gone
  const stats = await last;
  for (const err of stats.votesAgainst.values()) if (err instanceof ResourceLockedError) return "conflict";
  return "unavailable";
}

export function createOpLocks(clients: Redis[], opts: OpLockOptions): OpLocks {
  if (clients.length === 0) throw new ShardcastError("internal", "op-locks need at least one Redis client");
  const ttlMs = Math.round(opts.ttlMs ?? 10_000);
  if (ttlMs < 300) throw new ShardcastError("bad_request", "op-lock ttlMs must be at least 300 ms");
  const extendEveryMs = Math.max(50, Math.floor(ttlMs / 3));
  const publisher = opts.publisher ?? clients[0]!;
  const channel = opLocksChannel(opts.prefix);
  const quorum = Math.floor(clients.length / 2) + 1;
  const redlock = new Redlock(clients, {
    db: lockDatabase(clients),
    retryCount: opts.retryCount ?? 0,
    retryDelay: opts.retryDelayMs ?? 200,
    retryJitter: 50,
    // Extension is scheduled here, not by Redlock's `using` (which throws from its `finally` when
    // the lock was lost and would mask the job's own result or error).
    automaticExtensionThreshold: 0,
  });
  const stopping = new Set<() => void>();

  const publish = async (shardletId: string, locked: boolean, holdMs = 0): Promise<void> => {
    const message: OpLockMessage = holdMs > 0 ? { shardletId, locked, holdMs } : { shardletId, locked };
    try {
      await publisher.publish(channel, JSON.stringify(message));
    } catch (error) {
      // Edges only use this to skip the fast path early; the host fence still rejects stale writes.
      opts.log?.warn("op-lock announcement failed", { shardletId, locked, error });
    }
  };

  const isLocked = async (shardletId: string): Promise<boolean> => {
    const key = opLockKey(opts.prefix, shardletId);
    const votes = await Promise.all(clients.map((c) => c.exists(key).then((n) => n === 1, () => false)));
    return votes.filter(Boolean).length >= quorum;
  };

  const acquire = async (shardletId: string): Promise<Lock> => {
    try {
      return await redlock.acquire([opLockKey(opts.prefix, shardletId)], ttlMs);
    } catch (error) {
      const reason = await lostReason(error);
      throw reason === "conflict"
        ? new ShardcastError("conflict", `shardlet ${shardletId} is op-locked by another job`, { shardletId })
        : new ShardcastError("unavailable", `op-lock for shardlet ${shardletId}: no Redis quorum`, { shardletId }, { cause: error });
    }
  };

  const withOpLock = async <T>(shardletId: string, fn: (lock: OpLockHandle) => Promise<T>, hold?: OpLockHoldOptions): Promise<T> => {
    let lock = await acquire(shardletId);
    // Kept apart from `lock.expiration`, which Redlock zeroes on the old lock mid-extension.
    let validUntil = lock.expiration;
    await publish(shardletId, true, Math.min(Math.max(0, hold?.holdMs ?? 0), MAX_OP_LOCK_HOLD_MS));
    const controller = new AbortController();
    const lose = (why: string, cause?: unknown) => {
      if (controller.signal.aborted) return;
      opts.log?.warn("op-lock lost", { shardletId, why });
      controller.abort(new ShardcastError("conflict", `op-lock on shardlet ${shardletId} lost: ${why}`, { shardletId }, { cause }));
    };

    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> | undefined;
    // Fires if no extension lands in time (e.g. every Redis call hangs), so the signal still aborts.
    const armDeadline = () => {
      if (deadline) clearTimeout(deadline);
      if (controller.signal.aborted) return;
      deadline = setTimeout(() => lose("the lock expired before it could be extended"), Math.max(0, validUntil - Date.now()));
    };
    const extend = async () => {
      timer = undefined;
      while (!controller.signal.aborted) {
        try {
          lock = await redlock.extend(lock, ttlMs);
          validUntil = lock.expiration;
          armDeadline();
          break;
        } catch (error) {
          const reason = await lostReason(error);
          // Gone or taken over: no point retrying. Unreachable: retry while the lock is still valid.
          if (reason === "conflict" || validUntil <= Date.now() + 50) {
            lose(reason === "conflict" ? "the lock key was removed or taken over" : "Redis quorum unreachable", error);
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      if (!controller.signal.aborted) schedule();
    };
    const schedule = () => {
      timer = setTimeout(() => {
        inFlight = extend();
      }, extendEveryMs);
    };
    const stop = () => {
      if (timer) clearTimeout(timer);
      if (deadline) clearTimeout(deadline);
      timer = deadline = undefined;
    };
    stopping.add(stop);
    armDeadline();
    schedule();

    const handle: OpLockHandle = {
      shardletId,
      signal: controller.signal,
      assertHeld() {
        // The local expiry check covers an event loop stalled past the TTL, when no extension ran.
        if (!controller.signal.aborted && validUntil <= Date.now()) lose("the lock expired before it was extended");
        if (controller.signal.aborted) {
          const reason: unknown = controller.signal.reason;
          throw reason instanceof ShardcastError ? reason : new ShardcastError("conflict", `op-lock on shardlet ${shardletId} released`);
        }
      },
    };

    try {
      return await fn(handle);
    } finally {
      stop();
      stopping.delete(stop);
      // Aborting first ends any extension retry loop; the job is over either way.
      controller.abort(new ShardcastError("conflict", `op-lock on shardlet ${shardletId} released`));
      await inFlight?.catch(() => undefined);
      stop();
      let released = false;
      try {
        await redlock.release(lock);
        released = true;
      } catch {
        // Expired or removed already; checked below before telling edges it is free.
      }
      // Announce "unlocked" only if nobody else took the lock meanwhile.
      if (released || !(await isLocked(shardletId).catch(() => true))) await publish(shardletId, false);
    }
  };

  const head = `${opts.prefix}:oplock:`;
  const scanLocks = async (client: Redis): Promise<string[]> => {
    const ids: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${head}*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) ids.push(key.slice(head.length));
    } while (cursor !== "0");
    return ids;
  };
  const lockedShardlets = async (): Promise<string[]> => {
    // A master that missed an acquisition (down for a moment) lacks a lock the others hold, so
    // reading one master alone could report a held lock as free.
    const scans = await Promise.allSettled(clients.map(scanLocks));
    const answered = scans.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (answered.length < quorum) {
      const failed = scans.find((r): r is PromiseRejectedResult => r.status === "rejected");
      throw new ShardcastError("unavailable", "op-lock list: no Redis quorum", undefined, { cause: failed?.reason });
    }
    return [...new Set(answered.flat())];
  };

  return {
    withOpLock,
    isLocked,
    lockedShardlets,
    close() {
      for (const stop of stopping) stop();
      stopping.clear();
      return Promise.resolve();
    },
  };
}
