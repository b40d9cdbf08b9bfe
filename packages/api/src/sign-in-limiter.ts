import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { ShardcastError } from "@shardcast/core";
import type { RedisClient } from "./redis-client.ts";

/**
 * Brute-force brake for sign-in, shared by every console instance through Redis. Failures are
 * counted per (email, source address) pair: after `freeFailures` the pair waits `firstWaitSec`,
 * doubling with each further failure up to `maxWaitSec`, and a success clears the pair. Failures
 * for an email from all sources together only take the free failures away once they pass
 * `emailFailureCap` in `emailWindowSec`: a source that has not failed still gets its attempt, so
 * an attacker can slow others down but never lock the admin out.
 */
export interface SignInPolicy {
  freeFailures: number;
  firstWaitSec: number;
  maxWaitSec: number;
  /** A pair's failures are forgotten this long after its first one (or at its next success). */
  rememberSec: number;
  emailFailureCap: number;
  emailWindowSec: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = {
  freeFailures: 5,
  firstWaitSec: 1,
  maxWaitSec: 15 * 60,
  rememberSec: 24 * 3600,
  emailFailureCap: 20,
  emailWindowSec: 15 * 60,
};

/** Seconds a pair waits after `failures` failures, with `free` of them free. */
export function backoffSec(failures: number, free: number, policy: SignInPolicy): number {
  if (failures < free) return 0;
  return Math.min(policy.firstWaitSec * 2 ** (failures - free), policy.maxWaitSec);
}

export interface SignInLimiter {
  /**
   * Runs `check` (the password check) unless the pair must wait, which throws `rate_limited` with
   * `details.retryAfterMs`. A null result is a failure; anything else a success.
   */
  attempt<T>(email: string, source: string, check: () => Promise<T | null>): Promise<T | null>;
}

/** Key of a pair in the limiter's stores (tests use it to let a wait run out without waiting). */
export function signInPairKey(email: string, source: string): string {
  return `${encodeURIComponent(email)}|${source}`;
}

/** Redis key prefix of the pair waits. */
export function signInWaitPrefix(redisPrefix: string): string {
  return `${redisPrefix}:signin:wait`;
}

function formatWait(ms: number): string {
  const sec = Math.ceil(ms / 1000);
  return sec < 90 ? `${sec} s` : `${Math.ceil(sec / 60)} min`;
}

export function createSignInLimiter(redis: RedisClient, redisPrefix: string, policy: SignInPolicy = DEFAULT_SIGN_IN_POLICY): SignInLimiter {
  // Each store falls back to process memory while Redis is unreachable, so an outage neither
  // locks everyone out nor switches the brake off.
  const store = (name: string, points: number, duration: number): RateLimiterRedis =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: name === "wait" ? signInWaitPrefix(redisPrefix) : `${redisPrefix}:signin:${name}`,
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
    });
  // Attempts of a pair not yet followed by a success (counted when they start, so a burst of
  // parallel attempts cannot all slip through before the first failure is recorded).
  const pairAttempts = store("fails", policy.freeFailures, policy.rememberSec);
  // One attempt per backoff period: a key is the pair's wait, running or claimed by an attempt.
  const waits = store("wait", 1, policy.maxWaitSec);
  const emailFailures = store("email", policy.emailFailureCap, policy.emailWindowSec);

  const freeFor = async (email: string): Promise<number> => {
    const res = await emailFailures.get(email);
    return (res?.consumedPoints ?? 0) >= policy.emailFailureCap ? 0 : policy.freeFailures;
  };

  const refuse = (ms: number): never => {
    throw new ShardcastError("rate_limited", `Too many failed sign-ins for this email from your address. Try again in ${formatWait(ms)}.`, {
      retryAfterMs: ms,
    });
  };

  return {
    async attempt<T>(email: string, source: string, check: () => Promise<T | null>): Promise<T | null> {
      const pair = signInPairKey(email, source);
      const [counted, free] = await Promise.all([pairAttempts.penalty(pair), freeFor(email)]);
      const failuresBefore = counted.consumedPoints - 1;
      const wait = backoffSec(failuresBefore, free, policy);
      if (wait > 0) {
        try {
          await waits.consume(pair, 1, { customDuration: wait });
        } catch (err) {
          await pairAttempts.reward(pair);
          if (err instanceof RateLimiterRes) refuse(err.msBeforeNext);
          throw err;
        }
      }
      let result: T | null;
      try {
        result = await check();
      } catch (err) {
        // Not the caller's failure (the database, say): the attempt does not count.
        await pairAttempts.reward(pair);
        throw err;
      }
      if (result !== null) {
        await Promise.all([pairAttempts.delete(pair), waits.delete(pair)]);
        return result;
      }
      await emailFailures.penalty(email);
      const next = backoffSec(failuresBefore + 1, await freeFor(email), policy);
      if (next > 0) await waits.block(pair, next);
      return null;
    },
  };
}
