import { z } from "zod";
import { storableString, streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { consumerGroupView } from "../../services/consumer-views.ts";
import { rangeSchema } from "../shared.ts";
import { memberTelemetryViewSchema, shardletRefSchema } from "./schemas.ts";

export const groupInput = z.object({
  stream: streamNameSchema,
  group: storableString.min(1, "group name is empty").max(128, "group name is longer than 128 characters"),
  /** How far back the checkpoint history goes. */
  windowMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
});

export const groupOutput = z.object({
  stream: z.string(),
  group: z.string(),
  generation: z.number(),
  startSeq: z.number(),
  /** Events retention forgot before the group read them, and when that last happened. */
  expiredUnread: z.object({ events: z.number(), lastAt: z.date().nullable() }),
  /** The group's reads/s over the last analyzer steps, beside the latest run's read forecast of it. */
  reads: z.object({
    bucketSec: z.number(),
    boundaryMs: z.number(),
    model: z.string().nullable(),
    runAt: z.date().nullable(),
    points: z.array(z.object({ t: z.number(), actual: z.number().nullable(), forecast: z.number().nullable() })),
  }),
  members: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      joinedAt: z.date(),
      lastSeenAt: z.date(),
      sessionTimeoutMs: z.number(),
      shardlets: z.number(),
      lagEvents: z.number(),
      /** What the member last reported about its process (null: a client that sends none). */
      telemetry: memberTelemetryViewSchema.nullable(),
      /** Its weight in the assignment (1: a typical member; below 1, slower than that). */
      weight: z.number(),
    }),
  ),
  assignments: z.array(
    z.object({
      shardletId: z.string(),
      /** The shardlet's key-hash range; null if the control database no longer knows it. */
      range: rangeSchema.nullable(),
      memberId: z.string().nullable(),
      memberName: z.string().nullable(),
      generation: z.number(),
      /** A hand-off under way: the member that takes the shardlet at its holder's next poll. */
      handoffTo: z.string().nullable(),
      /** When the hand-off happens at the latest (the holder's next poll may come first). */
      handoffDeadline: z.date().nullable(),
      committedSeq: z.number().nullable(),
      checkpointSeq: z.number().nullable(),
      checkpointAt: z.date().nullable(),
      lagEvents: z.number().nullable(),
      lagSeconds: z.number().nullable(),
      lagAt: z.date().nullable(),
    }),
  ),
  checkpoints: z.array(
    z.object({
      id: z.number(),
      shardletId: z.string(),
      range: rangeSchema.nullable(),
      position: z.number(),
      trigger: z.string(),
      reason: z.string(),
      eventsSince: z.number(),
      predictedReplaySec: z.number(),
      /**
       * For a lineage checkpoint, the shardlets whose position it continued (one parent of a split,
       * two of a merge; empty for a first assignment). The stored reason names them by id only.
       */
      handedOnFrom: z.array(shardletRefSchema),
      at: z.date(),
    }),
  ),
  events: z.array(
    z.object({
      id: z.number(),
      kind: z.string(),
      memberName: z.string().nullable(),
      shardlets: z.number(),
      /** The first few shardlets the event moved, to show their ranges beside its detail; `shardlets` counts them all. */
      shardletRefs: z.array(shardletRefSchema),
      detail: z.string(),
      at: z.date(),
    }),
  ),
});

/** One group: members, assignments with positions and lag, checkpoints with reasons, and its event log. */
export const group = viewerProcedure
  .input(groupInput)
  .output(groupOutput)
  .query(({ ctx, input }) => consumerGroupView(ctx.db, { stream: input.stream, group: input.group, sinceMs: Date.now() - input.windowMinutes * 60_000, limit: 500, nowMs: Date.now() }));
