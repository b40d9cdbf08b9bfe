import type { Redis } from "ioredis";
import { RENEW, sequenceKeys } from "./sequence-scripts.ts";

export interface BlockLeasesOptions {
  prefix: string;
  /** Names the allocator in Redis: its blocks are in flight while this owner's lease is fresh. */
  owner: string;
  leaseMs: number;
  maxHoldMs: number;
  onRenewError?: ((err: unknown) => void) | undefined;
}

interface HeldBlock {
  lo: number;
  since: number;
}

/**
 * The leases of one SequenceAllocator's blocks in flight: the blocks it holds, renewed every
 * `leaseMs / 5`, and its members in Redis it will never write into, taken out.
 */
export class BlockLeases {
  private readonly redis: Redis;
  private readonly opts: BlockLeasesOptions;
  /** streamId -> member -> block, the blocks the allocator has not released. */
  private readonly held = new Map<string, Map<string, HeldBlock>>();
  /**
   * streamId -> the owner's members in Redis it will never write into: released (or given up)
   * while Redis could not be reached, or added by an ALLOCATE whose reply was lost. The owner's
   * lease, renewed for its other blocks, would keep each in flight, and the watermark behind it,
   * for as long as the allocator writes; each renewal takes them out.
   */
  private readonly strays = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private stopped = false;

  constructor(redis: Redis, opts: BlockLeasesOptions) {
    this.redis = redis;
    this.opts = opts;
  }

  hold(streamId: string, member: string, lo: number): void {
    let blocks = this.held.get(streamId);
    if (!blocks) this.held.set(streamId, (blocks = new Map<string, HeldBlock>()));
    blocks.set(member, { lo, since: Date.now() });
    // A renewal that ran after its ALLOCATE, before the reply arrived, took it for a stray.
    const strays = this.strays.get(streamId);
    if (strays?.delete(member) && strays.size === 0) this.strays.delete(streamId);
    this.start();
  }

  /** Stops renewing the block (released, or given up); its removal from Redis is the caller's. */
  drop(streamId: string, member: string): void {
    const blocks = this.held.get(streamId);
    blocks?.delete(member);
    if (blocks?.size === 0) this.held.delete(streamId);
  }

  /** A member in Redis the allocator will never write into (its removal failed): the next renewal takes it out. */
  stray(streamId: string, member: string): void {
    let members = this.strays.get(streamId);
    if (!members) this.strays.set(streamId, (members = new Set<string>()));
    members.add(member);
    this.start();
  }

  /** Stops renewing; blocks still held then expire like those of a dead allocator. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
  }

  private start(): void {
    if (this.timer || this.stopped) return;
    const every = Math.max(100, Math.floor(this.opts.leaseMs / 5));
    this.timer = setInterval(() => {
      if (this.renewing) return;
      this.renewing = this.renew()
        .catch((err: unknown) => this.opts.onRenewError?.(err))
        .finally(() => (this.renewing = null));
    }, every);
    this.timer.unref();
  }

  /**
   * Tells Redis the allocator is alive on every stream it holds blocks of, and takes the strays out.
   * RENEW names the owner's members it was not given; they become strays, taken out at the next
   * renewal unless held by then. Such a member was added by an ALLOCATE that Redis ran before the
   * RENEW: on the same connection, so answered before it; or on one that dropped before answering
   * (ioredis then sends it again, and the answer, from a later connection, is discarded); or it
   * timed out (allocate threw). So once the RENEW's reply is read, each such block is held or never
   * will be: `hold`, which may still run in that reply's microtasks, takes it off the strays, and
   * the next renewal, a timer later, only takes out blocks no allocate can hand out any more.
   * Taking one out at once could let the watermark pass a block being handed out and written into.
   */
  private async renew(): Promise<void> {
    if (this.held.size === 0 && this.strays.size === 0) return;
    const cutoff = Date.now() - this.opts.maxHoldMs;
    const pipeline = this.redis.pipeline();
    const removing = [...this.strays].map(([streamId, members]) => ({ streamId, members: [...members] }));
    for (const { streamId, members } of removing) for (const member of members) pipeline.zrem(this.keys(streamId).inflight, member);
    const renewed: Array<{ streamId: string; at: number }> = [];
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
      if (args.length === 0) continue;
      renewed.push({ streamId, at: pipeline.length });
      pipeline.eval(RENEW, 2, k.inflight, k.owners, this.opts.leaseMs, this.opts.owner, ...args);
    }
    if (pipeline.length === 0) return;
    const results = await pipeline.exec();
    // The removals come first in the pipeline; each one that went through is done.
    let i = 0;
    for (const { streamId, members } of removing) {
      const pending = this.strays.get(streamId);
      for (const member of members) if (!results?.[i++]?.[0]) pending?.delete(member);
      if (pending?.size === 0) this.strays.delete(streamId);
    }
    for (const { streamId, at } of renewed) {
      const [err, others] = results?.[at] ?? [];
      if (err || !Array.isArray(others)) continue;
      for (const member of others) if (typeof member === "string" && !this.held.get(streamId)?.has(member)) this.stray(streamId, member);
    }
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  private keys(streamId: string) {
    return sequenceKeys(this.opts.prefix, streamId);
  }
}
