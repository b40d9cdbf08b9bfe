import { PlacementBandit, type SeenCacheCounts } from "@shardcast/core";
import type { Redis } from "ioredis";
import { z } from "zod";

/**
 * The placement job's state between runs, in Redis beside the correlation engine's: the bandit,
 * the archive decisions and read moves awaiting their reward and the latest decisions for the console. Losing it
 * loses what the bandit learnt (it starts exploring again), never data: archived rows stay
 * readable and are restored by the next run that finds them needed.
 */
export const placementStateKey = (prefix: string) => `${prefix}:placement:state`;

const pendingSchema = z.object({ shardletId: z.string(), context: z.string(), rawBytes: z.number(), storedBytes: z.number(), at: z.number() });
const decisionSchema = z.object({
  at: z.number(),
  streamId: z.string(),
  shardletId: z.string(),
  arm: z.string(),
  context: z.string(),
  reason: z.string(),
  /** Filled when the decision's reward was measured (archive decisions, one run later). */
  reward: z.number().nullable(),
});

const pinSchema = z.object({
  streamId: z.string(),
  context: z.string(),
  since: z.number(),
  runs: z.number(),
  /** Share of its reads that were evicted misses in the window that pinned it. */
  missRatioBefore: z.number(),
  /** Part reads on every edge since it was pinned: hits, misses and evicted misses among them. */
  hits: z.number(),
  misses: z.number(),
  evictedMisses: z.number(),
  /** Reads the shield is expected to have cost the rest of the edges' caches since the pin (see core's `pinReward`). */
  displaced: z.number().min(0).default(0),
});

const moveSchema = z.object({
  shardletId: z.string(),
  streamId: z.string(),
  context: z.string(),
  /** When the move was decided (the decision's record has the same time). */
  at: z.number(),
  sourceHostId: z.string(),
  destHostId: z.string(),
  /** The pair's read excess over the mean when it was decided: the reward's baseline. */
  excessBefore: z.number(),
});

const archivedSchema = z.record(z.string(), z.object({ events: z.number(), bytes: z.number() }));

const storedSchema = z.object({
  lastRunAt: z.number().nullable(),
  bandit: z.unknown(),
  pending: z.array(pendingSchema),
  recent: z.array(decisionSchema),
  /** Archived rows and bytes per live shardlet as the last run measured them (for the shard map). */
  archived: archivedSchema.default({}),
  /** Shardlets whose last archive or restore failed, and until when (epoch ms) they are left alone. */
  backoff: z.record(z.string(), z.number()).default({}),
  /** Live read replicas the bandit made: the context they are rewarded in and the runs they have lived. */
  replicas: z.record(z.string(), z.object({ context: z.string(), runs: z.number() })).default({}),
  /** Shardlets pinned in the edges' caches, by id: what their reward is measured from. */
  pins: z.record(z.string(), pinSchema).default({}),
  /** The edges' cumulative cache counts as the last run saw them (the next window is the difference). */
  cacheSeen: z.record(z.string(), z.record(z.string(), z.array(z.number()))).default({}),
  /** Migrations the `move` arm started, by migration id, until their reward is measured. */
  moves: z.record(z.string(), moveSchema).default({}),
  /** Shardlets the `move` arm moved, and until when (epoch ms) it leaves them where they are. */
  moveCooldown: z.record(z.string(), z.number()).default({}),
});

export type PlacementDecisionRecord = z.infer<typeof decisionSchema>;
export type PendingArchiveRecord = z.infer<typeof pendingSchema>;
export type ArchivedShardlets = z.infer<typeof archivedSchema>;
export type PinRecord = z.infer<typeof pinSchema>;
export type ReadMoveRecord = z.infer<typeof moveSchema>;

export interface PlacementState {
  lastRunAt: number | null;
  bandit: PlacementBandit;
  pending: PendingArchiveRecord[];
  recent: PlacementDecisionRecord[];
  archived: ArchivedShardlets;
  backoff: Record<string, number>;
  replicas: Record<string, { context: string; runs: number }>;
  pins: Record<string, PinRecord>;
  cacheSeen: SeenCacheCounts;
  moves: Record<string, ReadMoveRecord>;
  moveCooldown: Record<string, number>;
}

/** Decisions kept for display. */
export const PLACEMENT_RECENT = 100;

export async function readPlacementState(redis: Redis, prefix: string, exploration: number): Promise<PlacementState> {
  const raw = await redis.get(placementStateKey(prefix));
  const fresh = (): PlacementState => ({ lastRunAt: null, bandit: new PlacementBandit({ exploration }), pending: [], recent: [], archived: {}, backoff: {}, replicas: {}, pins: {}, cacheSeen: {}, moves: {}, moveCooldown: {} });
  if (!raw) return fresh();
  const parsed = storedSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) return fresh();
  let bandit: PlacementBandit;
  try {
    bandit = PlacementBandit.fromData(parsed.data.bandit);
  } catch {
    bandit = new PlacementBandit({ exploration });
  }
  // A changed exploration setting applies from the next decision, keeping what was learnt.
  if (bandit.exploration !== exploration) bandit = PlacementBandit.fromData({ ...bandit.toData(), exploration });
  return { lastRunAt: parsed.data.lastRunAt, bandit, pending: parsed.data.pending, recent: parsed.data.recent, archived: parsed.data.archived, backoff: parsed.data.backoff, replicas: parsed.data.replicas, pins: parsed.data.pins, cacheSeen: parsed.data.cacheSeen, moves: parsed.data.moves, moveCooldown: parsed.data.moveCooldown };
}

/** What the last placement run measured as archived, per shardlet: cheap to read for every shard map refresh. */
export async function readArchivedShardlets(redis: Redis, prefix: string): Promise<ArchivedShardlets> {
  const raw = await redis.get(placementStateKey(prefix));
  if (!raw) return {};
  const parsed = storedSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data.archived : {};
}

export async function writePlacementState(redis: Redis, prefix: string, s: PlacementState): Promise<void> {
  const body = { lastRunAt: s.lastRunAt, bandit: s.bandit.toData(), pending: s.pending, recent: s.recent.slice(0, PLACEMENT_RECENT), archived: s.archived, backoff: s.backoff, replicas: s.replicas, pins: s.pins, cacheSeen: s.cacheSeen, moves: s.moves, moveCooldown: s.moveCooldown };
  await redis.set(placementStateKey(prefix), JSON.stringify(body));
}
