import { isIP } from "node:net";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { ShardcastError } from "@shardcast/core";
import { createHashGate, type HashGate } from "./hash-gate.ts";
import type { RedisClient } from "./redis-client.ts";

/**
 * Brute-force brake for sign-in, shared by every console instance through Redis. A source is an
 * IPv4 address or an IPv6 /64 (one subscriber usually holds a whole /64, so single addresses in it
 * would be free fresh sources). Failures are counted per (email, source) pair: after `freeFailures`
 * the pair waits `firstWaitSec`, doubling with each further failure up to `maxWaitSec`, and a
 * success clears the pair. Once an email collects `emailFailureCap` failures in `emailWindowSec`
 * from all sources together, no pair gets free failures any more: each source has one attempt per
 * wait. A source that signed in to the email before (within `knownSourceSec`) waits by its own
 * failures only; any other source waits by its own failures plus the email's failures beyond the
 * cap, so under a sustained attack its wait soon reaches `maxWaitSec`. Nobody is refused for good:
 * the owner's first attempt from a new address is always checked (an attacker can slow them down,
 * never lock them out). The price is the bound on guessing: per email and window, at most
 * `emailFailureCap` guesses plus about one per source the attacker holds (each also held to
 * `addressFailureCap` failures per window over all emails). A source is also limited to
 * `addressFailureCap` failures in `addressWindowSec` whatever the emails, except for the emails
 * it signed in to before (people sharing an address do not lock each other out). Attempts are
 * counted when they start, so a burst of parallel attempts cannot slip through before the first
 * failure is recorded; one that turns out not to be a failure gives its counts back. All limits
 * are checked before the password, which then waits for a turn at the hash gate.
 */
export interface SignInPolicy {
  freeFailures: number;
  firstWaitSec: number;
  maxWaitSec: number;
  /** A pair's failures are forgotten this long after its first one (or at its next success). */
  rememberSec: number;
  emailFailureCap: number;
  emailWindowSec: number;
  /** How long a source that signed in to an email may keep trying it while the email is over its cap. */
  knownSourceSec: number;
  addressFailureCap: number;
  addressWindowSec: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = {
  freeFailures: 5,
  firstWaitSec: 1,
  maxWaitSec: 15 * 60,
  rememberSec: 24 * 3600,
  emailFailureCap: 20,
  emailWindowSec: 15 * 60,
  knownSourceSec: 30 * 24 * 3600,
  addressFailureCap: 20,
  addressWindowSec: 15 * 60,
};

/** Seconds a pair waits after `failures` failures, with `free` of them free. */
export function backoffSec(failures: number, free: number, policy: SignInPolicy): number {
  if (failures < free) return 0;
  return Math.min(policy.firstWaitSec * 2 ** (failures - free), policy.maxWaitSec);
}

export interface SignInLimiter {
  /**
   * Runs `check` (the password check) from `address` unless a limit holds it back, which throws
   * `rate_limited` with `details.retryAfterMs`, or no hashing turn comes (`unavailable`). A null
   * result is a failure; anything else a success.
   */
  attempt<T>(email: string, address: string, check: () => Promise<T | null>): Promise<T | null>;
  /** Marks `address` as a place `email` signs in from, as a successful sign-in there does. */
  rememberSource(email: string, address: string): Promise<void>;
  /** Runs other password hashing (first-admin setup) under the same bound as password checks. */
  hashing<T>(work: () => Promise<T>): Promise<T>;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail counts as two). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = "", right] = text.split("::");
  const head = left ? left.split(":") : [];
  const tail = right ? right.split(":") : [];
  const zeros = right === undefined ? [] : Array<string>(8 - head.length - tail.length).fill("0");
  return [...head, ...zeros, ...tail].map((group) => parseInt(group, 16));
}

/**
 * What the limiter counts as one source: an IPv4 address as it is (also when written IPv4-mapped,
 * `::ffff:192.0.2.1`), an IPv6 address as its /64, anything else (no address known) as given.
 */
export function signInSourceKey(address: string): string {
  const bare = address.replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  return `${ipv6Groups(bare).slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** Key of a pair in the limiter's stores (tests use it to let a wait run out without waiting). */
export function signInPairKey(email: string, address: string): string {
  return `${encodeURIComponent(email)}|${signInSourceKey(address)}`;
}

/** Redis key prefix of the pair waits. */
export function signInWaitPrefix(redisPrefix: string): string {
  return `${redisPrefix}:signin:wait`;
}

function formatWait(ms: number): string {
  const sec = Math.ceil(ms / 1000);
  return sec < 90 ? `${sec} s` : `${Math.ceil(sec / 60)} min`;
}

type Limit = "pair" | "address";

const REFUSALS: Record<Limit, string> = {
  pair: "Too many failed sign-ins for this email from your address.",
  address: "Too many failed sign-ins from your address.",
};

function refuse(limit: Limit, ms: number): never {
  throw new ShardcastError("rate_limited", `${REFUSALS[limit]} Try again in ${formatWait(ms)}.`, { retryAfterMs: ms });
}

export function createSignInLimiter(
  redis: RedisClient,
  redisPrefix: string,
  policy: SignInPolicy = DEFAULT_SIGN_IN_POLICY,
  gate: HashGate = createHashGate(),
): SignInLimiter {
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
  // Attempts of a pair not yet followed by a success.
  const pairAttempts = store("fails", policy.freeFailures, policy.rememberSec);
  // One attempt per backoff period: a key is the pair's wait, running or claimed by an attempt.
  const waits = store("wait", 1, policy.maxWaitSec);
  const emailAttempts = store("email", policy.emailFailureCap, policy.emailWindowSec);
  const addressAttempts = store("address", policy.addressFailureCap, policy.addressWindowSec);
  // Pairs that ended in a success: these may go on trying while their email is over its cap.
  const knownPairs = store("known", 1, policy.knownSourceSec);

  /** Takes a point from `limiter`, or refuses with its wait when none is left. */
  const take = async (limiter: RateLimiterRedis, key: string, limit: Limit, durationSec?: number): Promise<void> => {
    try {
      await limiter.consume(key, 1, durationSec === undefined ? {} : { customDuration: durationSec });
    } catch (err) {
      if (err instanceof RateLimiterRes) refuse(limit, err.msBeforeNext);
      throw err;
    }
  };

  /**
   * The wait a pair has earned. Over the email's cap, a fresh source still gets its one attempt,
   * but then waits as long as the whole attack has earned: many addresses buy the attacker about
   * one guess each, not a free run each.
   */
  const waitSec = (pairFailures: number, emailFailures: number, known: boolean): number => {
    const overCap = emailFailures >= policy.emailFailureCap;
    const beyondCap = overCap && !known ? emailFailures - policy.emailFailureCap : 0;
    return backoffSec(pairFailures + beyondCap, overCap ? 0 : policy.freeFailures, policy);
  };

  return {
    async attempt<T>(email: string, address: string, check: () => Promise<T | null>): Promise<T | null> {
      const source = signInSourceKey(address);
      const pair = signInPairKey(email, source);
      // What this attempt counted, given back when it turns out not to be a failure.
      const giveBack: Array<() => Promise<unknown>> = [];
      const undo = () => Promise.all(giveBack.map((f) => f()));
      let addressTaken = false;
      let failuresBefore: number;
      let known: boolean;
      let result: T | null;
      try {
        known = (await knownPairs.get(pair)) !== null;
        // A user is not held back by others sharing their address (an office, a carrier's NAT).
        if (!known) {
          await take(addressAttempts, source, "address");
          addressTaken = true;
          giveBack.push(() => addressAttempts.reward(source));
        }
        const [counted, emailCounted] = await Promise.all([pairAttempts.penalty(pair), emailAttempts.penalty(email)]);
        giveBack.push(() => pairAttempts.reward(pair), () => emailAttempts.reward(email));
        failuresBefore = counted.consumedPoints - 1;
        const wait = waitSec(failuresBefore, emailCounted.consumedPoints - 1, known);
        if (wait > 0) {
          await take(waits, pair, "pair", wait);
          giveBack.push(() => waits.delete(pair));
        }
        result = await gate.run(check, { known });
      } catch (err) {
        // Refused, or not the caller's failure (the database, say): the attempt does not count.
        await undo();
        throw err;
      }
      if (result !== null) {
        // A success is no failure: the counts it took go back (the pair's are cleared).
        await Promise.all([
          pairAttempts.delete(pair),
          waits.delete(pair),
          addressTaken ? addressAttempts.reward(source) : null,
          emailAttempts.reward(email),
          knownPairs.set(pair, 1, policy.knownSourceSec),
        ]);
        return result;
      }
      const emailFailures = (await emailAttempts.get(email))?.consumedPoints ?? 0;
      const next = waitSec(failuresBefore + 1, emailFailures, known);
      if (next > 0) await waits.block(pair, next);
      return null;
    },
    async rememberSource(email: string, address: string): Promise<void> {
      await knownPairs.set(signInPairKey(email, address), 1, policy.knownSourceSec);
    },
    hashing: (work) => gate.run(work),
  };
}
