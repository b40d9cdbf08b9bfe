import { randomUUID } from "node:crypto";
import { ShardcastError } from "@shardcast/core";
import type { Redis } from "ioredis";
import { BlockLeases } from "./sequence-leases.ts";
import { runScript } from "./redis-scripts.ts";
import { ALLOCATE, INSTALL, sequenceKeys, WATERMARK } from "./sequence-scripts.ts";

export { sequenceKeys };

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
  /** Called when a counter had to be re-seeded after Redis lost it or came back with another server's copy (not on a stream's first use). */
  onReseed?: (streamId: string, base: number) => void;
  /** Called when a block is released after readers stopped waiting for it (its lease ran out). */
  onLeaseLost?: (streamId: string, lo: number, hi: number) => void;
  /** Called when renewing the leases failed (Redis unreachable); the next renewal tries again. */
  onRenewError?: (err: unknown) => void;
}

/**
 * Global sequence numbers per stream, allocated in blocks with one Redis round trip (INCRBY in a
 * script that also records the block as in flight). Redis hands out numbers only from
 * reservations already made durable in the control database, each reservation's numbers its own,
 * so neither a Redis restart nor an edge re-seeding from an old mark can issue a number twice; and
 * counters a new server brought back from an older copy are taken over before they hand one out.
 */
export class SequenceAllocator {
  private readonly redis: Redis;
  private readonly reserving = new Map<string, Promise<void>>();
  private readonly opts: Required<Pick<SequenceAllocatorOptions, "step" | "leaseMs" | "maxHoldMs">> & SequenceAllocatorOptions;
  /** Names this allocator in Redis: its blocks are in flight while this owner's lease is fresh. */
  private readonly owner = `o-${randomUUID()}`;
  private readonly leases: BlockLeases;
  /** streamId -> the highest watermark this allocator has read: one entry per stream read, a number each. */
  private readonly seen = new Map<string, number>();
  /** The run id of the Redis server the connection reaches, checked once per connection. */
  private server: Promise<string> | null = null;
  /** Counts the connection's closes: a reply that crossed one may come from another server. */
  private connection = 0;

  constructor(redis: Redis, opts: SequenceAllocatorOptions) {
    this.redis = redis;
    this.opts = { step: 1_000_000, leaseMs: 5_000, maxHoldMs: 60_000, ...opts };
    if (this.opts.leaseMs < 500) throw new RangeError("sequence block lease must be at least 500 ms");
    this.leases = new BlockLeases(redis, { prefix: this.opts.prefix, owner: this.owner, leaseMs: this.opts.leaseMs, maxHoldMs: this.opts.maxHoldMs, onRenewError: this.opts.onRenewError });
    // After a reconnect the server may be another one (a Sentinel failover, a restart): ask again.
    redis.on("close", this.onClose);
  }

  private readonly onClose = (): void => {
    this.connection++;
    this.server = null;
  };

  /**
   * The run id of the server behind the connection. Every script is told it, so counters another
   * server kept (a replica a failover promoted, a restart from an older snapshot: both may be
   * behind what was handed out) are noticed before a number is handed out from them.
   */
  private serverId(): Promise<string> {
    if (this.server) return this.server;
    const at = this.connection;
    const p = this.redis.info("server").then((text) => {
      const id = /^run_id:(\w+)/m.exec(text)?.[1];
      if (!id) throw new Error("Redis did not report its run_id");
      // Asked across a reconnect: the answer may be the old server's.
      if (this.connection !== at) return this.serverId();
      return id;
    });
    this.server = p;
    p.catch(() => {
      if (this.server === p) this.server = null;
    });
    return p;
  }

  private keys(streamId: string) {
    return sequenceKeys(this.opts.prefix, streamId);
  }

  async allocate(streamId: string, n: number): Promise<SequenceBlock> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot allocate ${n} sequence numbers`);
    if (n > this.opts.step) throw new RangeError(`cannot allocate ${n} sequence numbers in one block (at most ${this.opts.step})`);
    const k = this.keys(streamId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = await this.serverId();
      const at = this.connection;
      const res = (await runScript(this.redis, "shardcastSeqAllocate", ALLOCATE, 5, k.counter, k.ceiling, k.inflight, k.owners, k.server, n, this.opts.leaseMs, this.owner, server)) as
        | [-1]
        | [-2, number]
        | [-4]
        | [number, number, string];
      if (res[0] === -4) {
        await this.reserveNext(streamId, 0, "takeover");
        continue;
      }
      if (res[0] === -1 || res[0] === -2) {
        await this.reserveNext(streamId, res[0] === -2 ? res[1] : 0, res[0] === -1 ? "missing" : "ran-out");
        continue;
      }
      const [lo, hi, member] = res as [number, number, string];
      if (this.connection !== at) {
        // Sent again after a reconnect, so checked against the server before it: not used.
        await this.redis.zrem(k.inflight, member).catch(() => this.leases.stray(streamId, member));
        continue;
      }
      return this.hold(streamId, member, lo, hi);
    }
    throw new ShardcastError("unavailable", `sequence allocation for stream ${streamId} kept finding its reservations used up or lost (Redis is being reset or failed over, or the stream is very busy); retry shortly`);
  }

  private hold(streamId: string, member: string, lo: number, hi: number): SequenceBlock {
    this.leases.hold(streamId, member, lo);
    const k = this.keys(streamId);
    let released = false;
    return {
      lo,
      hi,
      release: async () => {
        if (released) return;
        released = true;
        this.leases.drop(streamId, member);
        let removed: number;
        try {
          removed = await this.redis.zrem(k.inflight, member);
        } catch (err) {
          this.leases.stray(streamId, member);
          throw err;
        }
        if (removed === 0) this.opts.onLeaseLost?.(streamId, lo, hi);
      },
    };
  }

  /**
   * Reserves fresh numbers in the control database, then lets Redis hand them out. Concurrent
   * callers in this process share one reservation of the same kind. `ran-out`: the counter reached
   * its reservation's end. `missing`: the caller saw no counter (a new stream, or Redis lost it);
   * only such a reservation, made after that was seen, may re-seed it (see INSTALL: one begun
   * before the loss is refused, and the caller's next round sees the counter missing). `takeover`:
   * the counters are another server's copy, which may be behind what was handed out; the
   * reservation, made after that was seen, is above all of it and installed over them (with the
   * hold). A `missing` or `takeover` reservation never shares one begun before it was asked for.
   */
  private reserveNext(streamId: string, atLeast: number, kind: "ran-out" | "missing" | "takeover"): Promise<void> {
    const takeover = kind === "takeover";
    const key = kind === "ran-out" ? streamId : `${kind}\t${streamId}`;
    const running = this.reserving.get(key);
    if (running) return running;
    const p = (async () => {
      const k = this.keys(streamId);
      const mark = await this.opts.reserve(streamId, atLeast, this.opts.step);
      const base = mark - this.opts.step;
      const server = await this.serverId();
      const [, wasMissing] = (await runScript(
        this.redis,
        "shardcastSeqInstall",
        INSTALL,
        5,
        k.counter,
        k.ceiling,
        k.hold,
        k.inflight,
        k.server,
        base,
        mark,
        this.opts.leaseMs,
        server,
        takeover ? "1" : "0",
        kind === "missing" ? "1" : "0",
      )) as [number, number];
      // base 0 is a stream's first use; anything else means Redis lost the counter (or kept an old copy).
      if (takeover || (wasMissing === 1 && base > 0)) this.opts.onReseed?.(streamId, base);
    })().finally(() => this.reserving.delete(key));
    this.reserving.set(key, p);
    return p;
  }

  /**
   * Stops renewing leases (call after the last block was released, e.g. when the server closed).
   * Blocks still held then expire like those of a dead allocator.
   */
  async stop(): Promise<void> {
    this.redis.off("close", this.onClose);
    await this.leases.stop();
  }

  /**
   * Readers of the merged order read up to here; no event can later appear at or below it. For one
   * lease after Redis lost its data there is no such position to give (the blocks in flight then
   * are not back yet): `unavailable`, which readers retry.
   */
  async watermark(streamId: string): Promise<number> {
    const k = this.keys(streamId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = await this.serverId();
      const at = this.connection;
      const w = (await runScript(this.redis, "shardcastSeqWatermark", WATERMARK, 5, k.counter, k.inflight, k.owners, k.hold, k.server, server)) as number;
      if (this.connection !== at) continue; // checked against the server before a reconnect
      if (w === -4) {
        await this.reserveNext(streamId, 0, "takeover");
        continue;
      }
      if (w === -3) {
        throw new ShardcastError("unavailable", `Redis lost the sequence counters of stream ${streamId} (or came back with an older copy of them); reads resume within ${Math.ceil(this.opts.leaseMs / 1000)} s, once every writer has put its blocks in flight back`);
      }
      if (w !== -1) {
        if (w > (this.seen.get(streamId) ?? Number.NEGATIVE_INFINITY)) this.seen.set(streamId, w);
        return w;
      }
      await this.reserveNext(streamId, 0, "missing");
    }
    throw new ShardcastError("unavailable", `sequence watermark for stream ${streamId} kept finding an empty Redis (it is being reset or failed over); retry shortly`);
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
