import type { Redis } from "ioredis";

/**
 * Raises the durable high-water mark of a stream's sequence numbers in the control database and
 * returns the new mark (>= atLeast + step). Redis only hands out numbers below the mark, so after
 * Redis loses its data the allocator can re-seed above every number ever issued.
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
  /** How far ahead the control database reserves; one control-db write per `step` numbers. */
  step?: number;
  /** How long an unreleased block holds the watermark back (a crashed edge's blocks expire). */
  leaseMs?: number;
  clock?: () => number;
  /** Called when a counter had to be re-seeded after Redis lost it (not on a stream's first use). */
  onReseed?: (streamId: string, base: number) => void;
}

// KEYS: counter, ceiling, inflight. ARGV: n, now, leaseMs.
// Returns {-1} when the counter is missing (fresh or reset Redis), else {lo, hi, ceiling, member}.
const ALLOCATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local n = tonumber(ARGV[1])
local hi = redis.call('INCRBY', KEYS[1], n)
local lo = hi - n + 1
local ceil = tonumber(redis.call('GET', KEYS[2]) or '0')
local member = lo .. ':' .. hi .. ':' .. (tonumber(ARGV[2]) + tonumber(ARGV[3]))
redis.call('ZADD', KEYS[3], lo, member)
return {lo, hi, ceil, member}
`;

// KEYS: counter, ceiling. ARGV: base, ceiling. Seeds the counter only if it is still missing.
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`;

// KEYS: counter, inflight. ARGV: now. Drops expired blocks; returns the highest position below
// every block still in flight (or the counter when none is), -1 when the counter is missing.
const WATERMARK = `
local c = redis.call('GET', KEYS[1])
if not c then return -1 end
while true do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #first == 0 then return tonumber(c) end
  local deadline = tonumber(string.match(first[1], ':(%d+)$'))
  if deadline and deadline < tonumber(ARGV[1]) then
    redis.call('ZREM', KEYS[2], first[1])
  else
    return tonumber(first[2]) - 1
  end
end
`;

/**
 * Global sequence numbers per stream, allocated in blocks with one Redis round trip (INCRBY in a
 * script that also records the block as in flight). Every number is below a high-water mark that
 * was made durable in the control database first, so a Redis restart cannot reissue a number.
 */
export class SequenceAllocator {
  private readonly redis: Redis;
  private readonly seeding = new Map<string, Promise<void>>();
  private readonly opts: Required<Omit<SequenceAllocatorOptions, "onReseed">> & Pick<SequenceAllocatorOptions, "onReseed">;

  constructor(redis: Redis, opts: SequenceAllocatorOptions) {
    this.redis = redis;
    this.opts = { step: 1_000_000, leaseMs: 30_000, clock: Date.now, ...opts };
  }

  private keys(streamId: string) {
    const p = `${this.opts.prefix}:seq:{${streamId}}`;
    return { counter: `${p}:n`, ceiling: `${p}:ceil`, inflight: `${p}:inflight` };
  }

  async allocate(streamId: string, n: number): Promise<SequenceBlock> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot allocate ${n} sequence numbers`);
    const k = this.keys(streamId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = (await this.redis.eval(ALLOCATE, 3, k.counter, k.ceiling, k.inflight, n, this.opts.clock(), this.opts.leaseMs)) as
        | [number]
        | [number, number, number, string];
      if (res[0] === -1) {
        await this.seed(streamId);
        continue;
      }
      const [lo, hi, ceiling, member] = res as [number, number, number, string];
      if (hi > ceiling) {
        // Make the numbers durable before anyone uses them.
        const mark = await this.opts.reserve(streamId, hi, this.opts.step);
        await this.redis.eval(SEED, 2, k.counter, k.ceiling, hi, mark);
      }
      return { lo, hi, release: async () => void (await this.redis.zrem(k.inflight, member)) };
    }
    throw new Error(`sequence allocation for stream ${streamId} kept finding an empty Redis`);
  }

  /** Seeds a missing counter; concurrent callers in this process share one reservation. */
  private seed(streamId: string): Promise<void> {
    const running = this.seeding.get(streamId);
    if (running) return running;
    const p = (async () => {
      const k = this.keys(streamId);
      const mark = await this.opts.reserve(streamId, 0, this.opts.step);
      const base = mark - this.opts.step;
      await this.redis.eval(SEED, 2, k.counter, k.ceiling, base, mark);
      // base 0 is a stream's first use; anything else means Redis lost the counter.
      if (base > 0) this.opts.onReseed?.(streamId, base);
    })().finally(() => this.seeding.delete(streamId));
    this.seeding.set(streamId, p);
    return p;
  }

  /** Readers of the merged order read up to here; no event can later appear at or below it. */
  async watermark(streamId: string): Promise<number> {
    const k = this.keys(streamId);
    const w = (await this.redis.eval(WATERMARK, 2, k.counter, k.inflight, this.opts.clock())) as number;
    if (w === -1) {
      await this.seed(streamId);
      return this.watermark(streamId);
    }
    return w;
  }
}
