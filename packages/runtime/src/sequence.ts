import { randomUUID } from "node:crypto";
import { ShardcastError } from "@shardcast/core";
import type { Redis } from "ioredis";

/**
 * Raises the durable high-water mark of a stream's sequence numbers in the control database and
 * returns the new mark (>= atLeast + step). The numbers (mark - step, mark] then belong to this
 * call alone: no other call, before or after, gets any of them.
 */
export type ReserveSequence = (streamId: string, atLeast: number, step: number) => Promise<number>;

export interface SequenceBlock {
  /** First and last sequence numbers of the block, inclusive. */
  lo: number;
  hi: number;
  /** Marks the block as no longer in flight (after commit or after giving up). */
  release(): Promise<void>;
}

export interface SequenceAllocatorOptions {
  prefix: string;
  reserve: ReserveSequence;
  /** Numbers per reservation; one control-db write per `step` numbers. Also the largest block. */
  step?: number;
  /**
   * How long a block stays in flight after its allocator last said it is alive. The allocator
   * renews its blocks every `leaseMs / 5`, so a block of a dead allocator holds readers back at
   * most this long after the death; a live one is never passed while it writes.
   */
  leaseMs?: number;
  /** A block still unreleased after this long is no longer renewed: a hung write cannot stall readers forever. */
  maxHoldMs?: number;
  /** Called when a counter had to be re-seeded after Redis lost it (not on a stream's first use). */
  onReseed?: (streamId: string, base: number) => void;
  /** Called when a block is released after readers stopped waiting for it (its lease ran out). */
  onLeaseLost?: (streamId: string, lo: number, hi: number) => void;
  /** Called when renewing the leases failed (Redis unreachable); the next renewal tries again. */
  onRenewError?: (err: unknown) => void;
}

// Deadlines come from the Redis clock so that the edges' clocks never have to agree.
// (`replicate_commands` lets a script write after TIME on Redis before 5; a no-op since.)
const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS: counter, ceiling, inflight, owners. ARGV: n, leaseMs, owner.
// Returns {-1} when the counter is missing (fresh or reset Redis), {-2, counter} when the numbers
// reserved so far cannot hold the block, else {lo, hi, member}. Never hands out a number above
// the ceiling, and the ceiling only ever covers numbers already reserved in the control database.
const ALLOCATE = `${NOW}
local c = redis.call('GET', KEYS[1])
if not c then return {-1} end
local n = tonumber(ARGV[1])
local ceil = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(c) + n > ceil then return {-2, tonumber(c)} end
local hi = redis.call('INCRBY', KEYS[1], n)
local lo = hi - n + 1
local member = string.format('%d:%d:%s', lo, hi, ARGV[3])
redis.call('ZADD', KEYS[3], lo, member)
redis.call('HSET', KEYS[4], ARGV[3], now + tonumber(ARGV[2]))
return {lo, hi, member}
`;

// KEYS: counter, ceiling, hold. ARGV: base, mark of one reservation, (base, mark] being its own
// numbers; leaseMs. Makes them the numbers Redis hands out next, unless a later reservation is
// already installed. Re-seeding a lost counter (base above 0) also sets the hold for one lease:
// the blocks in flight when Redis lost its data sit below the new counter until their writers'
// next renewals put them back, so until then no watermark is safe to give.
// Returns {installed, counterWasMissing}.
const INSTALL = `
local c = redis.call('GET', KEYS[1])
local ceil = tonumber(redis.call('GET', KEYS[2]) or '0')
if c and tonumber(ARGV[2]) <= ceil then return {0, 0} end
if not c or tonumber(c) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('SET', KEYS[2], ARGV[2])
if c then return {1, 0} end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
return {1, 1}
`;

// KEYS: inflight, owners. ARGV: leaseMs, owner, then lo and member of each block it holds.
// Re-adding the blocks puts them back after Redis lost its data while they were being written.
const RENEW = `${NOW}
redis.call('HSET', KEYS[2], ARGV[2], now + tonumber(ARGV[1]))
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1]) end
return 1
`;

// KEYS: counter, inflight, owners, hold. Drops blocks whose owner's lease ran out; returns the
// highest position below every block still in flight (or the counter when none is), -1 when the
// counter is missing, -3 while the hold after a re-seed lasts. A member of an older release ends
// in its own deadline instead of an owner.
const WATERMARK = `${NOW}
local c = redis.call('GET', KEYS[1])
if not c then return -1 end
if redis.call('EXISTS', KEYS[4]) == 1 then return -3 end
if redis.call('HLEN', KEYS[3]) > 64 then
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < now then redis.call('HDEL', KEYS[3], all[i]) end
  end
end
while true do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #first == 0 then return tonumber(c) end
  local owner = string.match(first[1], '^%d+:%d+:(.+)$') or ''
  local deadline
  if string.match(owner, '^%d+$') then
    deadline = tonumber(owner)
  else
    deadline = tonumber(redis.call('HGET', KEYS[3], owner) or '0')
  end
  if deadline >= now then return tonumber(first[2]) - 1 end
  redis.call('ZREM', KEYS[2], first[1])
  if owner ~= '' then redis.call('HDEL', KEYS[3], owner) end
end
`;

/**
 * A stream's keys share the hash tag `{streamId}`, so each script's keys are in one Redis Cluster
 * slot. These names must stay: a counter under a new name would be re-seeded from the control
 * database's mark above every number handed out (no duplicates, as after a Redis restart), but
 * during a rolling upgrade the old version's blocks in flight would sit under the old names, where
 * the new version's watermark does not see them, so readers could pass events still being
 * written. After a restart the renewals put blocks back; after a rename they cannot.
 */
export function sequenceKeys(prefix: string, streamId: string): { counter: string; ceiling: string; inflight: string; owners: string; hold: string } {
  const p = `${prefix}:seq:{${streamId}}`;
  return { counter: `${p}:n`, ceiling: `${p}:ceil`, inflight: `${p}:inflight`, owners: `${p}:owners`, hold: `${p}:hold` };
}

interface HeldBlock {
  lo: number;
  hi: number;
  since: number;
}

/**
 * Global sequence numbers per stream, allocated in blocks with one Redis round trip (INCRBY in a
 * script that also records the block as in flight). Redis hands out numbers only from
 * reservations already made durable in the control database, each reservation's numbers its own,
 * so neither a Redis restart nor an edge re-seeding from an old mark can issue a number twice.
 */
export class SequenceAllocator {
  private readonly redis: Redis;
  private readonly reserving = new Map<string, Promise<void>>();
  private readonly opts: Required<Pick<SequenceAllocatorOptions, "step" | "leaseMs" | "maxHoldMs">> & SequenceAllocatorOptions;
  /** Names this allocator in Redis: its blocks are in flight while this owner's lease is fresh. */
  private readonly owner = `o-${randomUUID()}`;
  /** streamId -> member -> block, the blocks this allocator has not released. */
  private readonly held = new Map<string, Map<string, HeldBlock>>();
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private stopped = false;
  /** streamId -> the highest watermark this allocator has read: one entry per stream read, a number each. */
  private readonly seen = new Map<string, number>();

  constructor(redis: Redis, opts: SequenceAllocatorOptions) {
    this.redis = redis;
    this.opts = { step: 1_000_000, leaseMs: 5_000, maxHoldMs: 60_000, ...opts };
    if (this.opts.leaseMs < 500) throw new RangeError("sequence block lease must be at least 500 ms");
  }

  private keys(streamId: string) {
    return sequenceKeys(this.opts.prefix, streamId);
  }

  async allocate(streamId: string, n: number): Promise<SequenceBlock> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot allocate ${n} sequence numbers`);
    if (n > this.opts.step) throw new RangeError(`cannot allocate ${n} sequence numbers in one block (at most ${this.opts.step})`);
    const k = this.keys(streamId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = (await this.redis.eval(ALLOCATE, 4, k.counter, k.ceiling, k.inflight, k.owners, n, this.opts.leaseMs, this.owner)) as
        | [-1]
        | [-2, number]
        | [number, number, string];
      if (res[0] === -1 || res[0] === -2) {
        await this.reserveNext(streamId, res[0] === -2 ? res[1] : 0);
        continue;
      }
      const [lo, hi, member] = res as [number, number, string];
      return this.hold(streamId, member, lo, hi);
    }
    throw new Error(`sequence allocation for stream ${streamId} kept finding its reservations used up or lost`);
  }

  private hold(streamId: string, member: string, lo: number, hi: number): SequenceBlock {
    let blocks = this.held.get(streamId);
    if (!blocks) this.held.set(streamId, (blocks = new Map<string, HeldBlock>()));
    blocks.set(member, { lo, hi, since: Date.now() });
    this.startRenewing();
    const k = this.keys(streamId);
    let released = false;
    return {
      lo,
      hi,
      release: async () => {
        if (released) return;
        released = true;
        const mine = this.held.get(streamId);
        mine?.delete(member);
        if (mine?.size === 0) this.held.delete(streamId);
        const removed = await this.redis.zrem(k.inflight, member);
        if (removed === 0) this.opts.onLeaseLost?.(streamId, lo, hi);
      },
    };
  }

  /**
   * Reserves fresh numbers in the control database, then lets Redis hand them out. Concurrent
   * callers in this process share one reservation.
   */
  private reserveNext(streamId: string, atLeast: number): Promise<void> {
    const running = this.reserving.get(streamId);
    if (running) return running;
    const p = (async () => {
      const k = this.keys(streamId);
      const mark = await this.opts.reserve(streamId, atLeast, this.opts.step);
      const base = mark - this.opts.step;
      const [, wasMissing] = (await this.redis.eval(INSTALL, 3, k.counter, k.ceiling, k.hold, base, mark, this.opts.leaseMs)) as [number, number];
      // base 0 is a stream's first use; anything else means Redis lost the counter.
      if (wasMissing === 1 && base > 0) this.opts.onReseed?.(streamId, base);
    })().finally(() => this.reserving.delete(streamId));
    this.reserving.set(streamId, p);
    return p;
  }

  private startRenewing(): void {
    if (this.renewTimer || this.stopped) return;
    const every = Math.max(100, Math.floor(this.opts.leaseMs / 5));
    this.renewTimer = setInterval(() => {
      if (this.renewing) return;
      this.renewing = this.renew()
        .catch((err: unknown) => this.opts.onRenewError?.(err))
        .finally(() => (this.renewing = null));
    }, every);
    this.renewTimer.unref();
  }

  /** Tells Redis this allocator is alive on every stream it holds blocks of. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const cutoff = Date.now() - this.opts.maxHoldMs;
    const pipeline = this.redis.pipeline();
    for (const [streamId, blocks] of this.held) {
      const k = this.keys(streamId);
      const args: Array<string | number> = [];
      for (const [member, b] of blocks) {
        if (b.since >= cutoff) {
          args.push(b.lo, member);
          continue;
        }
        // The owner's lease covers all its blocks of the stream, so a hung one is taken out.
        blocks.delete(member);
        pipeline.zrem(k.inflight, member);
      }
      if (blocks.size === 0) this.held.delete(streamId);
      if (args.length > 0) pipeline.eval(RENEW, 2, k.inflight, k.owners, this.opts.leaseMs, this.owner, ...args);
    }
    if (pipeline.length === 0) return;
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  /**
   * Stops renewing leases (call after the last block was released, e.g. when the server closed).
   * Blocks still held then expire like those of a dead allocator.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    await this.renewing;
  }

  /**
   * Readers of the merged order read up to here; no event can later appear at or below it. For one
   * lease after Redis lost its data there is no such position to give (the blocks in flight then
   * are not back yet): `unavailable`, which readers retry.
   */
  async watermark(streamId: string): Promise<number> {
    const k = this.keys(streamId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const w = (await this.redis.eval(WATERMARK, 4, k.counter, k.inflight, k.owners, k.hold)) as number;
      if (w === -3) {
        throw new ShardcastError("unavailable", `Redis lost the sequence counters of stream ${streamId}; reads resume within ${Math.ceil(this.opts.leaseMs / 1000)} s, once every writer has put its blocks in flight back`);
      }
      if (w !== -1) {
        if (w > (this.seen.get(streamId) ?? Number.NEGATIVE_INFINITY)) this.seen.set(streamId, w);
        return w;
      }
      await this.reserveNext(streamId, 0);
    }
    throw new Error(`sequence watermark for stream ${streamId} kept finding an empty Redis`);
  }

  /**
   * The highest watermark `watermark` has returned for the stream, without asking Redis, or
   * undefined before the first. It may be behind the current one, but it stays true: no event can
   * later appear at or below a watermark once given, Redis restarts included (the counter is
   * re-seeded above every reservation, and the hold keeps the watermark back until the blocks in
   * flight are back). So a page already full below it is final without a round trip.
   */
  seenWatermark(streamId: string): number | undefined {
    return this.seen.get(streamId);
  }
}
