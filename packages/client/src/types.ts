import { z } from "zod";
import { ShardcastClientError } from "./errors.ts";

/**
 * The SDK's own copies of the edge's wire shapes (not imported from the server packages, so the
 * SDK can be published alone). Answers are checked loosely: unknown fields are kept out of the
 * typed result but do not fail, so a newer edge that adds fields keeps working.
 */

/** An event to send. */
export interface ProducerEvent {
  /** The partitioning key: a string, or a safe integer (`42` and `"42"` are the same key). */
  key?: string | number;
  /** Idempotency id: the edge stores an id once per stream. The producer generates one if absent. */
  id?: string;
  type?: string;
  /** Event time: epoch ms, an ISO-8601 date-time with an offset (`2026-01-31T09:30:00Z`) or a Date. Default: the time the edge received it. */
  ts?: number | string | Date;
  payload?: Record<string, unknown>;
}

/** Where an event was stored. */
export interface SendResult {
  /** The idempotency id the event is stored under: the caller's, or the one the producer generated. */
  id: string;
  /** The event's position in the stream's global order. */
  seq: number;
  shardletId: string;
  /** The edge already held this id (see the producer's notes on retries). */
  duplicate: boolean;
}

export const storedEventSchema = z.object({
  streamId: z.string(),
  seq: z.number().int(),
  shardletId: z.string(),
  key: z.string(),
  id: z.string().nullable(),
  type: z.string().nullable(),
  ts: z.number(),
  payload: z.unknown(),
});

/** An event as read back from the stream. */
export type StoredEvent = z.infer<typeof storedEventSchema>;

export const ingestAnswerSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  events: z.array(z.object({ seq: z.number().int(), shardletId: z.string(), duplicate: z.boolean() })),
});

export const positionPageSchema = z.object({
  events: z.array(storedEventSchema),
  watermark: z.number().int(),
  next: z.number().int(),
});

/** A consumer's progress on one shardlet, as sent in commits. */
export interface Commit {
  shardletId: string;
  generation: number;
  /** Everything of the shardlet up to here is processed: the `next` of the last finished batch. */
  position: number;
  /** Events processed since the shardlet's previous commit. */
  events?: number;
}

export const commitSchema = z.object({ shardletId: z.string(), generation: z.number().int(), position: z.number().int(), events: z.number().int().optional() });

export const assignmentSchema = z.object({
  shardletId: z.string(),
  generation: z.number().int(),
  lo: z.number(),
  hi: z.number(),
  position: z.number().int(),
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const batchSchema = z.object({
  shardletId: z.string(),
  generation: z.number().int(),
  events: z.array(storedEventSchema),
  next: z.number().int(),
});
export type Batch = z.infer<typeof batchSchema>;

export const snapshotRequestSchema = z.object({ shardletId: z.string(), position: z.number().int(), reason: z.string() });
export type SnapshotRequest = z.infer<typeof snapshotRequestSchema>;

/** A snapshot request as `onCheckpoint` gets it: with the position the member's state covers. */
export type CheckpointRequest = SnapshotRequest & {
  /** Everything of the shardlet up to here was processed by this member (at or past `position`). */
  processed: number;
};

export const joinAnswerSchema = z.object({
  memberId: z.string(),
  heartbeatIntervalMs: z.number().positive(),
  sessionTimeoutMs: z.number().positive(),
  assignments: z.array(assignmentSchema),
});

export const pollAnswerSchema = z.object({
  assignments: z.array(assignmentSchema),
  batches: z.array(batchSchema),
  // Absent, null or empty all mean "nothing to snapshot".
  snapshot: z.array(snapshotRequestSchema).nullish(),
  heartbeatIntervalMs: z.number().positive().optional(),
});

export const heartbeatAnswerSchema = z.object({
  assignments: z.array(assignmentSchema),
  heartbeatIntervalMs: z.number().positive().optional(),
});

export const commitAnswerSchema = z.object({ committed: z.array(commitSchema) });

/**
 * `GET .../groups/{group}`. A member's id is its credential together with the key that joined it,
 * so the edge shows ids only of members joined with the caller's key (null for the others).
 */
export const groupViewSchema = z.object({
  group: z.string(),
  stream: z.string(),
  generation: z.number().int(),
  /** Events the stream's retention forgot before the group read them. Absent from edges before retention. */
  expiredUnreadEvents: z.number().int().optional(),
  members: z.array(z.object({ id: z.string().nullable(), name: z.string(), joinedAt: z.number(), lastSeenAt: z.number(), shardlets: z.number().int() })),
  shardlets: z.array(
    z.object({
      shardletId: z.string(),
      /** The holder's id when the caller's key joined it; null when unassigned or another key's. */
      memberId: z.string().nullable(),
      /** The holder's name; null when unassigned. Absent from edges before member names were shown. */
      memberName: z.string().nullable().optional(),
      generation: z.number().int(),
      position: z.number().int(),
      checkpoint: z.number().int().nullable(),
      lagEvents: z.number().nullable(),
      lagSeconds: z.number().nullable(),
    }),
  ),
});
export type GroupView = z.infer<typeof groupViewSchema>;

/** `409 conflict` details: which of our commits named a stale generation. */
export const staleDetailsSchema = z.object({
  stale: z.array(z.object({ shardletId: z.string(), generation: z.number().int().optional(), current: z.number().int().nullish() })),
});

/** Parses a 2xx answer's body, or throws `invalid_response` naming what did not fit. */
export function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ShardcastClientError({
    status: 0,
    code: "invalid_response",
    message: `unexpected ${what} answer from the edge${issue ? `: ${issue.path.join(".") || "(body)"} ${issue.message}` : ""}`,
  });
}
