import { z } from "zod";
import { MOVE_MODES } from "@shardcast/core";
import { idString, rangeSchema } from "../shared.ts";

/** The migration row the console lists and shows (shared by the migrations procedures). */

const checkSchema = z.object({ ok: z.boolean(), detail: z.string() });

export const migrationSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  streamName: z.string(),
  shardletId: z.string(),
  range: rangeSchema.nullable(),
  shardletLabel: z.string(),
  sourceHostId: z.string(),
  sourceHostName: z.string(),
  destHostId: z.string(),
  destHostName: z.string(),
  phase: z.string(),
  origin: z.string(),
  /** `handoff`: the write load moves, the history stays sealed on the source and no row is copied; `copy`: the history moves too. */
  mode: z.enum(MOVE_MODES),
  reason: z.string(),
  urgencySec: z.number().nullable(),
  expectedBenefit: z.number(),
  /** Events/s of the source and destination before and after the move. */
  expectedLoad: z.array(z.object({ hostId: z.string(), hostName: z.string(), before: z.number(), after: z.number() })),
  feasibility: z.object({ headroom: checkSchema, bandwidth: checkSchema, window: checkSchema }).nullable(),
  bytesToMove: z.number(),
  rowsTotal: z.number(),
  rowsCopied: z.number(),
  /** Rows/s over the last chunks (the mover's figure). */
  copyRate: z.number(),
  /** Rows/s the copy achieves (capped by the average since it started); the ETA uses it. */
  rate: z.number(),
  etaSec: z.number().nullable(),
  windowStart: z.date().nullable(),
  windowEnd: z.date().nullable(),
  shardletEpoch: z.number(),
  cancelRequested: z.boolean(),
  attempts: z.number(),
  error: z.string().nullable(),
  proposedBy: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const migrationEventSchema = z.object({
  id: z.string(),
  at: z.date(),
  phase: z.string(),
  level: z.enum(["info", "warn", "error"]),
  message: z.string(),
  details: z.unknown(),
});

export const migrationIdInput = z.object({ id: idString("choose a migration") });
