import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { ShardcastError } from "@shardcast/core";
import type { ApiKeyQuota } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime";
import type { KeyGrant } from "./auth.ts";

type Limit = keyof ApiKeyQuota;

const UNIT: Record<Limit, string> = {
  produceEventsPerSec: "events/s",
  produceBytesPerSec: "bytes/s",
  readEventsPerSec: "events/s",
  readBytesPerSec: "bytes/s",
};

/** What a read may return and how it is charged once answered. */
export interface ReadAdmission {
  /** Most events the read may return (the events left in the key's quota this second). */
  maxEvents: number | undefined;
  /** Charges what the read returned; does not wait for Redis. */
  charge(events: number, bytes: number): void;
}

const FREE_READ: ReadAdmission = { maxEvents: undefined, charge: () => undefined };

/**
 * Per-key rate limits shared by every edge through Redis: a one-second window per key and limit,
 * counted in events or bytes. Each limit that a key has set costs one command, sent together,
 * so a batch waits for one Redis round trip at most; a key without limits costs none. While Redis
 * is unreachable each edge counts in its own memory instead (the limit then holds per edge).
 */
export class QuotaService {
  // One limiter per limit and value; keys with the same value share it (the counter is per key id).
  private readonly limiters = new LRUCache<string, RateLimiterRedis>({ max: 1_000 });

  constructor(private readonly deps: { redis: Redis; prefix: string; log: Logger }) {}

  private limiter(limit: Limit, points: number): RateLimiterRedis {
    const id = `${limit}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.deps.redis,
        keyPrefix: `${this.deps.prefix}:quota:${limit}`,
        points,
        duration: 1,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `quota:${limit}`, points, duration: 1 }),
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /**
   * Takes a batch's events and bytes from the key's produce quota, or refuses the whole batch:
   * `rate_limited` (429, retry after `details.retryAfterMs`) when this second's quota is used up,
   * `payload_too_large` (final) when the batch alone is more than a second's quota.
   */
  async admitProduce(grant: KeyGrant, events: number, bytes: number): Promise<void> {
    const costs: Array<[Limit, number]> = [
      ["produceEventsPerSec", events],
      ["produceBytesPerSec", bytes],
    ];
    await this.take(grant, costs, true);
  }

  /**
   * Takes a hint request's stored rows from the key's produce events quota, as `admitProduce`
   * takes a batch's events (and refuses alike): a hint steers the planner as load does, so a key
   * announces no faster than it may write. Hints store no event bytes, so the bytes quota is left.
   */
  async admitHints(grant: KeyGrant, rows: number): Promise<void> {
    await this.take(grant, [["produceEventsPerSec", rows]], true);
  }

  /** Gives back what `admitHints` took for a request that then stored nothing (off the answer's path). */
  refundHints(grant: KeyGrant, rows: number): void {
    this.refund(grant, [["produceEventsPerSec", rows]]);
  }

  /**
   * Refuses a read once the key has used this second's read quota. The read is charged one event
   * and one byte up front (so concurrent reads on every edge see each other) and the rest after it
   * is answered; its page is capped at the events left.
   */
  async admitRead(grant: KeyGrant): Promise<ReadAdmission> {
    const q = grant.quota;
    if (q.readEventsPerSec === null && q.readBytesPerSec === null) return FREE_READ;
    const taken = await this.take(
      grant,
      [
        ["readEventsPerSec", 1],
        ["readBytesPerSec", 1],
      ],
      false,
    );
    const eventsLeft = taken.get("readEventsPerSec");
    return {
      maxEvents: eventsLeft === undefined ? undefined : eventsLeft.remainingPoints + 1,
      charge: (events, bytes) => {
        this.penalty(grant, "readEventsPerSec", events - 1);
        this.penalty(grant, "readBytesPerSec", bytes - 1);
      },
    };
  }

  private refund(grant: KeyGrant, costs: Array<[Limit, number]>): void {
    for (const [limit, cost] of costs) {
      const max = grant.quota[limit];
      if (max === null || cost <= 0) continue;
      this.limiter(limit, max)
        .reward(grant.id, cost)
        .catch((err: unknown) => this.deps.log.warn("could not refund a refused request's quota", { keyId: grant.id, err }));
    }
  }

  private penalty(grant: KeyGrant, limit: Limit, points: number): void {
    const max = grant.quota[limit];
    if (max === null || points <= 0) return;
    this.limiter(limit, max)
      .penalty(grant.id, points)
      .catch((err: unknown) => this.deps.log.warn("could not charge a read to its quota", { keyId: grant.id, err }));
  }

  private async take(grant: KeyGrant, costs: Array<[Limit, number]>, refundRefused: boolean): Promise<Map<Limit, RateLimiterRes>> {
    const checks: Array<{ limit: Limit; max: number; cost: number }> = [];
    for (const [limit, cost] of costs) {
      const max = grant.quota[limit];
      if (max === null) continue;
      if (cost > max) {
        throw new ShardcastError(
          "payload_too_large",
          `this batch alone (${cost} ${UNIT[limit].replace("/s", "")}) is more than API key "${grant.name}" may send in a second (${limit} ${max}): send smaller batches`,
          { limit, max, requested: cost },
        );
      }
      checks.push({ limit, max, cost });
    }
    const taken = new Map<Limit, RateLimiterRes>();
    if (checks.length === 0) return taken;
    const results = await Promise.allSettled(checks.map((c) => this.limiter(c.limit, c.max).consume(grant.id, c.cost)));
    let refused: { limit: Limit; max: number; res: RateLimiterRes } | undefined;
    for (const [i, r] of results.entries()) {
      const check = checks[i]!;
      if (r.status === "fulfilled") {
        taken.set(check.limit, r.value);
      } else if (r.reason instanceof RateLimiterRes) {
        if (!refused || r.reason.msBeforeNext > refused.res.msBeforeNext) refused = { limit: check.limit, max: check.max, res: r.reason };
      } else {
        throw r.reason;
      }
    }
    if (!refused) return taken;
    // A refused batch takes no quota: give back what every limit counted for it.
    if (refundRefused) this.refund(grant, checks.map((c) => [c.limit, c.cost]));
    const retryAfterMs = Math.max(1, refused.res.msBeforeNext);
    throw new ShardcastError(
      "rate_limited",
      `API key "${grant.name}" is over its limit of ${refused.max} ${UNIT[refused.limit]} (${refused.limit}); retry in ${Math.ceil(retryAfterMs / 1000)} s`,
      { retryAfterMs, limit: refused.limit, max: refused.max },
    );
  }
}
