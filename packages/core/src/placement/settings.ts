import { z } from "zod";

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Thresholds of the rebalancer (reactive placement). Stored in the control database's settings
 * under the key `rebalance` (edited in the console by admins, audited) and read on every planner
 * run, so a change applies without a restart.
 */
export const rebalanceSettingsSchema = z
  .object({
    /** Propose moves on the periodic run. Draining hosts and manual moves work either way. */
    enabled: z.boolean().default(true),
    /** A host triggers when its load passes its share of the cluster load by this fraction. */
    tolerance: z.number().min(0.01, "tolerance must be at least 0.01 (1%)").max(5, "tolerance must be at most 5 (500%)").default(0.2),
    /**
     * Band below the trigger: a move may not take its destination above share x (1 + tolerance -
     * hysteresis), and a hot host is relieved down to that level, so the destination cannot trigger
     * the move back on the next run.
     */
    hysteresis: z.number().min(0, "hysteresis must be at least 0").max(5, "hysteresis must be at most 5").default(0.1),
    /** Hosts carrying fewer events/s than this never trigger (nothing worth moving bytes for). */
    minHostLoad: z.number().min(0, "minimum host load must be at least 0 events/s").max(1e9).default(10),
    /** Events/s taken off the hot host per MiB copied: smaller gains are not worth the copy. */
    minBenefitPerMB: z.number().min(0, "minimum benefit per MiB must be at least 0").max(1e9).default(1),
    /** Copy bandwidth the migrations of one run may use together, bytes/s. */
    bandwidthBytesPerSec: z
      .number()
      .int()
      .min(KIB, "bandwidth must be at least 1 KiB/s")
      .max(100 * 1024 * MIB, "bandwidth must be at most 100 GiB/s")
      .default(8 * MIB),
    /** The moves of one run must be copyable within this many seconds at that bandwidth. */
    maxCopySec: z.number().int().min(1, "copy budget must be at least 1 s").max(7 * 86_400, "copy budget must be at most 7 days").default(3_600),
    /** A destination must keep this fraction of its capacity (events/s and bytes) free after a move. */
    headroomFraction: z.number().min(0, "headroom must be at least 0").max(0.9, "headroom must be at most 0.9 (90%)").default(0.2),
    /** Most moves one run proposes (also the most open moves off one draining host). */
    maxProposalsPerRun: z.number().int().min(1, "at least 1 proposal per run").max(1_000, "at most 1,000 proposals per run").default(4),
    /** A shardlet moved within this many seconds is not moved again by the rebalancer. */
    cooldownSec: z.number().int().min(0, "cool-down must be at least 0 s").max(7 * 86_400, "cool-down must be at most 7 days").default(900),
    /** Daily migration window in UTC hours, [start, end); 0-24 (or start = end) means any time. */
    windowStartHourUtc: z.number().int().min(0, "window start must be an hour from 0 to 23").max(23, "window start must be an hour from 0 to 23").default(0),
    windowEndHourUtc: z.number().int().min(0, "window end must be an hour from 0 to 24").max(24, "window end must be an hour from 0 to 24").default(24),
    /** Store the rebalancer's proposals as approved (they start without an operator). */
    autoApprove: z.boolean().default(false),
    /**
     * The per-host look-ahead: a host is planned at the larger of its load and its shardlets' rise
     * over the last `outlookWindowSec` carried on for `outlookLeadSec`, so a host climbing towards
     * its limit is relieved before it gets there (a migration takes a while to switch). Whole
     * minutes: the rise is read from the 1-minute telemetry rollups.
     */
    outlookWindowSec: z
      .number()
      .int()
      .min(600, "look-ahead window must be at least 600 s (10 min)")
      .max(86_400, "look-ahead window must be at most 86,400 s (1 day)")
      .multipleOf(60, "look-ahead window must be whole minutes (a multiple of 60 s)")
      .default(3_600),
    /** How far the window's rise is carried on; 0 turns the look-ahead off (current loads only). */
    outlookLeadSec: z.number().int().min(0, "look-ahead must be at least 0 s (0: off)").max(86_400, "look-ahead must be at most 86,400 s (1 day)").default(3_600),
    /**
     * How the rebalancer, the analyzer and drains move a shardlet's load: `handoff` seals it where
     * it is (its history stays there until retention drops it) and opens a successor on the
     * destination in seconds, copying nothing; `copy` moves its history with it at the copy
     * bandwidth (for streams whose history should follow their load).
     */
    moveMode: z.enum(["handoff", "copy"]).default("handoff"),
    /**
     * What a draining host does with the history its hand-offs leave behind: `expire` waits for
     * retention to drop it (the host can be retired when the last of it expires), `copy` copies it
     * to other hosts at the copy bandwidth (the host can be retired once the copies are done).
     */
    drainHistory: z.enum(["expire", "copy"]).default("expire"),
    /** Proposals nobody decided on within this many seconds are withdrawn (the loads have moved on). */
    proposalTtlSec: z.number().int().min(60, "proposals must live at least 60 s").max(30 * 86_400, "proposals may live at most 30 days").default(3_600),
  })
  .refine((s) => s.hysteresis < s.tolerance, {
    message: "hysteresis must be smaller than the tolerance, or no destination could ever take a move",
    path: ["hysteresis"],
  });

export type RebalanceSettings = z.infer<typeof rebalanceSettingsSchema>;

export const REBALANCE_SETTINGS_KEY = "rebalance";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseRebalanceSettings(stored: unknown): RebalanceSettings {
  return rebalanceSettingsSchema.parse(stored ?? {});
}
