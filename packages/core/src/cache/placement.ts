import { z } from "zod";
import type { ArmValue, PlacementArm, PlacementBandit } from "./bandit.ts";
import { MAX_PIN_BUDGET_SHARE } from "./pinned-entries.ts";

/**
 * Adaptive placement of cold data: which shardlets' old payloads go to the host's archive. The
 * bandit of `bandit.ts` learns it per context (a class of shardlets, not an id: a shardlet is
 * decided about rarely, a class often), from rewards measured one run after each decision. Of the
 * placement arms the product acts on `archive` and `leave` here, `replicate` in `replication.ts`,
 * `move` (a hot shardlet off a host that serves too many reads) in `read-move.ts` and `cache-pin`
 * (entries the edges' caches keep) in `pinning.ts`; moves for write load come from the rebalancer,
 * the analyzer and the orchestrator.
 */

export const placementSettingsSchema = z.strictObject({
  /** Decide and act on the schedule. Off, a scheduled run is skipped entirely (no rewards measured, nothing decided); a run started by hand still runs in full. */
  enabled: z.boolean().default(true),
  /** Payloads stored longer ago than this may be archived. */
  archiveAfterSec: z
    .number()
    .int()
    .min(60, "archive age must be at least 60 s")
    .max(365 * 86_400, "archive age must be at most a year")
    .default(6 * 3_600),
  /** A shardlet is a candidate once it holds at least this many bytes of archivable payloads. */
  minArchiveBytes: z.number().int().min(0).max(2 ** 40).default(1 << 20),
  /**
   * What leaving a shardlet as it is earns, on the reward's scale (the share of bytes an archive
   * saves when nobody reads it back): archiving must beat it. The default asks for a third.
   */
  leaveReward: z.number().min(0, "leave reward must be between 0 and 1").max(1, "leave reward must be between 0 and 1").default(0.33),
  /** Exploration bonus of the bandit's upper bound (1 is UCB1 as published). */
  exploration: z.number().min(0).max(5).default(0.5),
  /** A shardlet read at this many events per second or more is hot: a candidate for a read replica. */
  replicaMinReadsPerSec: z.number().min(0).max(1e9).default(200),
  /**
   * How far ahead replicas, pins and read moves look at the analyzer's read forecast (0: they use
   * the observed read rate only). A shardlet counts at the higher of its observed rate and its
   * forecast peak over this look-ahead, where its read forecasts are trusted; about the time a
   * replica takes to sync, so one is ready when the reads come.
   */
  readForecastLeadSec: z.number().int().min(0, "read forecast look-ahead must be at least 0 s (0: off)").max(86_400, "read forecast look-ahead must be at most 86,400 s (1 day)").default(600),
  /** Most read replicas in the cluster (0: none; existing ones are dropped). */
  maxReplicas: z.number().int().min(0).max(10_000).default(8),
  /**
   * Share of each edge's cache budget that pinned entries may hold, shielded from eviction (0: no
   * pins; existing ones are unpinned). At most 0.75, so the rest always fits the largest entry.
   */
  pinBudgetShare: z.number().min(0, "pin budget share must be between 0 and 0.75").max(MAX_PIN_BUDGET_SHARE, "pin budget share must be between 0 and 0.75").default(0.25),
  /** Most pinned shardlets in the cluster (0: none; existing ones are unpinned). */
  maxPins: z.number().int().min(0).max(1_000).default(16),
  /**
   * Most moves the `move` arm starts per run (0: the arm is off). One by default: the next run
   * measures the read loads the move left before another one is weighed.
   */
  maxReadMovesPerRun: z.number().int().min(0, "read moves per run must be between 0 and 10").max(10, "read moves per run must be between 0 and 10").default(1),
  /** A host's read load must be this fraction above the hosts' mean before a hot shardlet is moved off it (0.5: 50% above). */
  readMoveImbalance: z.number().min(0.05, "read imbalance must be between 0.05 and 10").max(10, "read imbalance must be between 0.05 and 10").default(0.5),
  /** A shardlet the `move` arm moved is not moved by it again for this long. */
  readMoveCooldownSec: z
    .number()
    .int()
    .min(60, "read move cool-down must be at least 60 s")
    .max(7 * 86_400, "read move cool-down must be at most 7 days")
    .default(3_600),
});

export type PlacementSettings = z.infer<typeof placementSettingsSchema>;
export const PLACEMENT_SETTINGS_KEY = "placement";

export function parsePlacementSettings(stored: unknown): PlacementSettings {
  return placementSettingsSchema.parse(stored ?? {});
}

/** What the placement job measures of a shardlet at a run. */
export interface ShardletPlacementState {
  shardletId: string;
  /** Reads of the shardlet since the previous run (edges' telemetry). */
  reads: number;
  /** Consumer groups with a durable position on the shardlet. */
  groups: number;
  /** The lowest durable position among them (null: none). */
  lowestPosition: number | null;
  /**
   * The lowest position any reader read since the previous run (edges' telemetry; null: no read,
   * or only reads counted by edges that do not report positions).
   */
  lowestRead: number | null;
  /**
   * Archivable payload bytes: stored before the age cut, not archived yet, and at or below every
   * consumer group's durable position (what a group has still to read is never archived).
   */
  archivableBytes: number;
  /** The highest position an archive of the shardlet may take now (the age cut, lowered to the groups' positions). */
  archiveUpTo: number;
  /** Archived rows, their size as written and the highest archived position (null: none). */
  archivedEvents: number;
  archivedBytes: number;
  archivedMaxSeq: number | null;
}

/**
 * The context a shardlet's decision is learnt in: whether anything read it lately and whether
 * consumer groups follow it. Coarse on purpose: each class must see enough decisions to learn.
 */
export function placementContext(s: Pick<ShardletPlacementState, "reads" | "groups">): string {
  return `reads:${s.reads > 0 ? "some" : "none"} groups:${s.groups > 0 ? "some" : "none"}`;
}

/** An archive decision awaiting its reward at the next run. */
export interface PendingArchive {
  shardletId: string;
  context: string;
  /** Payload bytes archived by the decision, before and after compression. */
  rawBytes: number;
  storedBytes: number;
  at: number;
}

/**
 * Some reader still needs the archived rows: a consumer group's durable position lies below the
 * highest archived position (it will replay archived events), or a reader read at or below it
 * lately (a report, a replay by position or key). Readers of recent events leave an archive be:
 * a dashboard tailing a stream no group follows would otherwise undo every archive it is given.
 * Reads whose positions are unknown (counted by an edge that does not report them) count as
 * exposure on a shardlet no group follows only when no edge reported a position since the
 * previous run, as before positions were measured.
 */
export function archiveExposed(s: ShardletPlacementState): boolean {
  if (s.archivedMaxSeq === null) return false;
  if (s.lowestPosition !== null && s.lowestPosition < s.archivedMaxSeq) return true;
  if (s.lowestRead !== null) return s.lowestRead <= s.archivedMaxSeq;
  return s.groups === 0 && s.reads > 0;
}

/**
 * The measured reward of an archive decision, in [0, 1]: the share of bytes it saved, or 0 when
 * readers came back for the archived rows (their reads decompress batches, and the job restores
 * the shardlet).
 */
export function archiveReward(p: PendingArchive, now: ShardletPlacementState): number {
  if (p.rawBytes <= 0 || archiveExposed(now)) return 0;
  return Math.max(0, Math.min(1, 1 - p.storedBytes / p.rawBytes));
}

export type PlacementDecision =
  | { shardletId: string; arm: "archive"; context: string; reason: string }
  | { shardletId: string; arm: "leave"; context: string; reason: string }
  | { shardletId: string; arm: "restore"; context: string; reason: string };

/**
 * One run's decisions: restore exposed archives, and for every candidate (enough archivable bytes,
 * no decision pending) pull an arm. `leave` is rewarded with its known value at once, so its bound
 * stays the bar that archive's measured mean has to clear.
 */
export function decidePlacement(
  bandit: PlacementBandit,
  states: readonly ShardletPlacementState[],
  pending: ReadonlySet<string>,
  settings: PlacementSettings,
): PlacementDecision[] {
  const out: PlacementDecision[] = [];
  const allowed: PlacementArm[] = ["archive", "leave"];
  for (const s of states) {
    const context = placementContext(s);
    if (archiveExposed(s)) {
      out.push({ shardletId: s.shardletId, arm: "restore", context, reason: restoreReason(s) });
      continue;
    }
    if (pending.has(s.shardletId) || s.archivableBytes < settings.minArchiveBytes) continue;
    const arm = bandit.choose(context, allowed) === "leave" ? "leave" : "archive";
    const v = bandit.values(context);
    if (arm === "leave") {
      bandit.reward(context, "leave", settings.leaveReward);
      out.push({ shardletId: s.shardletId, arm, context, reason: leaveReason(v, ["archive"], context) });
    } else {
      const why = v.archive.pulls === 0 ? "not tried yet" : `mean ${fmt(v.archive.mean)} over ${v.archive.pulls} decisions, bound ${fmt(v.archive.ucb)}`;
      out.push({ shardletId: s.shardletId, arm, context, reason: `archive ${Math.round(s.archivableBytes / 1024)} KiB of old payloads: in ${context} archive is ${why}` });
    }
  }
  return out;
}

function restoreReason(s: ShardletPlacementState): string {
  if (s.lowestPosition !== null && s.archivedMaxSeq !== null && s.lowestPosition < s.archivedMaxSeq) {
    return `restore: a consumer group is at position ${s.lowestPosition}, below the archived ${s.archivedMaxSeq}`;
  }
  if (s.lowestRead !== null) return `restore: read at position ${s.lowestRead}, at or below the archived ${s.archivedMaxSeq}`;
  return `restore: read ${s.reads} times with archived rows and no consumer group`;
}

/**
 * Why the bandit pulled `leave`: UCB1 compares bounds, not means, so the reason sets leave's own
 * bound (its mean, i.e. the bar it is rewarded with, plus an exploration bonus) beside the bounds it
 * beat. Ties go to the earlier arm, so leave wins only when strictly higher; the numbers get more
 * digits when two decimals would print them equal.
 */
export function leaveReason(values: Record<PlacementArm, ArmValue>, others: readonly PlacementArm[], context: string): string {
  const leave = values.leave;
  if (leave.ucb === null) {
    // An untried arm is pulled before any bound is compared.
    return `leave: not tried yet in ${context}, and an untried arm goes first (${others.map((a) => `${a}'s bound ${fmt(values[a].ucb)}`).join(", ")})`;
  }
  const top = leave.ucb;
  const digits = others.every((a) => fmt(values[a].ucb) !== top.toFixed(2)) ? 2 : 4;
  const beaten = others.map((a) => `${a}'s bound ${fmt(values[a].ucb, digits)}`).join(" and ");
  return (
    `leave: ${beaten} ${others.length > 1 ? "are" : "is"} below leave's bound ${top.toFixed(digits)} in ${context} ` +
    `(its mean ${leave.mean.toFixed(digits)} plus an exploration bonus of ${(top - leave.mean).toFixed(digits)})`
  );
}

function fmt(v: number | null, digits = 2): string {
  return v === null ? "none" : v.toFixed(digits);
}

/** What made a stored read forecast (the analyzer's series model name), and its peak over the look-ahead. */
export interface ReadForecastPeak {
  peak: number;
  model: string;
}

/**
 * The read rate placement plans a shardlet on: the observed rate, raised to the forecast peak
 * where the analyzer's forecast is its model's. A forecast the analyzer did not trust (it stored
 * the observed rate, `observed_rate`) or could not make (`last_rate`) adds nothing; a forecast
 * never lowers the observed rate, so a replica is not dropped on a prediction of quiet.
 */
export function readRateToPlan(observed: number, forecast: ReadForecastPeak | undefined): { rate: number; forecast: boolean } {
  if (!forecast || forecast.model === "observed_rate" || forecast.model === "last_rate" || !Number.isFinite(forecast.peak)) return { rate: observed, forecast: false };
  return forecast.peak > observed ? { rate: forecast.peak, forecast: true } : { rate: observed, forecast: false };
}
