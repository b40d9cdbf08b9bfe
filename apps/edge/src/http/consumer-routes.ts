import { z } from "zod";
import { consumerNameSchema, memberTelemetrySchema, streamNameSchema, type ErrorCode } from "@shardcast/core";
import { MAX_READ_LIMIT } from "../reads.ts";
import { AUTH, cacheStatusHeader, positionPageSchema, positionQuery, type RouteSpec } from "./route-spec.ts";

const nameSchema = consumerNameSchema;
const idSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "is not a valid id");
const position = z.number().int("must be an integer").min(0, "must not be negative").max(Number.MAX_SAFE_INTEGER);

export const groupParams = z.object({ stream: streamNameSchema, group: nameSchema.meta({ description: "The consumer group's name." }) });
export const memberParams = groupParams.extend({ member: idSchema.meta({ description: "The member id the join answered." }) });
export const shardletParams = z.object({ stream: streamNameSchema, shardlet: idSchema.meta({ description: "A shardlet id (also of a retired one)." }) });

export const commitSchema = z.strictObject({
  shardletId: idSchema,
  generation: z.number().int().min(0),
  position: position.meta({ description: "Every event of the shardlet up to this position was processed (a batch's `next`)." }),
  events: z.number().int().min(0).max(1_000_000).optional().meta({ description: "Events processed since the previous commit of this shardlet (feeds the checkpoint policy)." }),
});
const commits = z.array(commitSchema).max(10_000, "at most 10,000 commits per request");

export const joinBody = z.strictObject({
  name: nameSchema.optional(),
  sessionTimeoutMs: z.number().int().min(3_000, "sessionTimeoutMs must be at least 3000").max(300_000, "sessionTimeoutMs must be at most 300000").optional(),
  start: z.enum(["earliest", "latest"]).optional().meta({ description: "Where a new group starts (default earliest); ignored for an existing group." }),
  joinToken: z
    .string()
    .min(16, "joinToken must be at least 16 characters")
    .max(64, "joinToken must be at most 64 characters")
    .regex(/^[A-Za-z0-9_-]+$/, "joinToken may hold only letters, digits, _ and -")
    .optional()
    .meta({
      description:
        "A random token the client makes per join and sends again on every retry of that join: a join whose token a live member of the group joined with the same key already used answers that member instead of adding one. A new join (after a lost session) takes a new token.",
    }),
});
const telemetry = memberTelemetrySchema.meta({
  description:
    "The member's process: CPU share (1 = one core), RSS and heap bytes, event-loop lag (p99, ms), and the events its handler processed recently with the handler time they took (ms), whose ratio weighs the member in assignment. Optional: members that send none are weighed as a typical member.",
});
export const pollBody = z.strictObject({
  commits: commits.optional(),
  limit: z.number().int().min(1, "limit must be at least 1").max(MAX_READ_LIMIT, `limit must be at most ${MAX_READ_LIMIT}`).optional(),
  maxWaitMs: z.number().int().min(0).max(10_000, "maxWaitMs must be at most 10000").optional(),
  stats: z.strictObject({ events: z.number().int().min(0).max(1e9), processingMs: z.number().min(0).max(1e9) }).optional(),
  telemetry: telemetry.optional(),
});
export const heartbeatBody = z.strictObject({ telemetry: telemetry.optional() });
export const commitBody = z.strictObject({ commits });
export const leaveBody = z.strictObject({ commits: commits.optional() });

const assignmentSchema = z.object({ shardletId: z.string(), generation: z.number().int(), lo: z.number().int(), hi: z.number().int(), position: z.number().int() });
const snapshotSchema = z.object({ shardletId: z.string(), position: z.number().int(), reason: z.string() });
export const memberAnswer = z.object({
  memberId: z.string(),
  group: z.string(),
  heartbeatIntervalMs: z.number().int(),
  sessionTimeoutMs: z.number().int(),
  assignments: z.array(assignmentSchema),
});
export const pollAnswer = z.object({
  assignments: z.array(assignmentSchema),
  batches: z.array(z.object({ shardletId: z.string(), generation: z.number().int(), events: positionPageSchema.shape.events, next: z.number().int() })),
  snapshot: z.array(snapshotSchema).meta({ description: "Positions that just became durable checkpoints: stateful members snapshot their state now." }),
  watermark: z.number().int(),
  heartbeatIntervalMs: z.number().int(),
});
export const heartbeatAnswer = z.object({ assignments: z.array(assignmentSchema), heartbeatIntervalMs: z.number().int() });
export const commitAnswer = z.object({ committed: z.array(commitSchema) });
export const groupAnswer = z.object({
  group: z.string(),
  stream: z.string(),
  generation: z.number().int(),
  expiredUnreadEvents: z.number().int().meta({ description: "Events the stream's retention forgot before the group read them (counted as its start moves past them)." }),
  members: z.array(
    z.object({
      id: z.string().nullable().meta({ description: "The member id, for members joined with the calling key only (null for the others)." }),
      name: z.string(),
      joinedAt: z.number(),
      lastSeenAt: z.number(),
      shardlets: z.number().int(),
    }),
  ),
  shardlets: z.array(
    z.object({
      shardletId: z.string(),
      memberId: z.string().nullable().meta({ description: "The holder's id when the calling key joined it; null when unassigned or held by another key's member." }),
      memberName: z.string().nullable().meta({ description: "The holder's name; null when unassigned." }),
      generation: z.number().int(),
      position: z.number().int(),
      checkpoint: z.number().int().nullable(),
      lagEvents: z.number().nullable(),
      lagSeconds: z.number().nullable(),
    }),
  ),
});
export const shardletsAnswer = z.object({
  shardlets: z.array(z.object({ id: z.string(), lo: z.number().int(), hi: z.number().int(), state: z.string(), parents: z.array(z.string()) })),
});

const BODY: readonly ErrorCode[] = ["bad_request", "validation_failed", "payload_too_large", "unsupported_media_type"];
const MEMBER_ERRORS: readonly ErrorCode[] = [...BODY, ...AUTH, "not_found", "conflict", "unavailable", "internal"];

/** The consumer routes (see docs/consumers.md); the edge's route table includes them. */
export function consumerRoutes(): RouteSpec[] {
  const base = "/v1/streams/{stream}/groups/{group}";
  return [
    {
      id: "listShardlets",
      method: "get",
      path: "/v1/streams/{stream}/shardlets",
      summary: "The stream's routed shardlets with their lineage",
      tag: "consumers",
      auth: "consume",
      params: z.object({ stream: streamNameSchema }),
      ok: { status: 200, description: "The shardlets.", schema: shardletsAnswer },
      errors: ["bad_request", ...AUTH, "not_found", "unavailable", "internal"],
    },
    {
      id: "readShardlet",
      method: "get",
      path: "/v1/streams/{stream}/shardlets/{shardlet}/events",
      summary: "Read a shardlet's events in sequence order after a position",
      description:
        "Never past the watermark. A retired shardlet's range is read from the shardlets that hold it now. A position past the watermark answers an empty page (a write may hold it) unless no write was ever given it: 400.",
      tag: "consumers",
      auth: "consume",
      params: shardletParams,
      query: positionQuery,
      ok: {
        status: 200,
        description: "A page of events.",
        schema: positionPageSchema,
        headers: cacheStatusHeader(["hit", "partial", "miss"]),
      },
      errors: ["bad_request", ...AUTH, "rate_limited", "not_found", "unavailable", "internal"],
    },
    {
      id: "joinGroup",
      method: "post",
      path: `${base}/members`,
      summary: "Join a consumer group (created on first join)",
      description:
        "The member is bound to the joining API key: its polls, commits, heartbeats and leave need that key (403 otherwise). A key scoped to consumer groups may only join those (403). A join that would create a group past the edge's limit per stream is refused with `409 conflict` and stores nothing. A retried join with the same `joinToken` answers the member the first attempt added.",
      tag: "consumers",
      auth: "consume",
      params: groupParams,
      body: joinBody,
      ok: { status: 201, description: "The new member and its first assignments.", schema: memberAnswer },
      errors: [...BODY, ...AUTH, "not_found", "conflict", "unavailable", "internal"],
    },
    {
      id: "pollGroup",
      method: "post",
      path: `${base}/members/{member}/poll`,
      summary: "Heartbeat, commit and read the member's shardlets",
      description:
        "Commits first (refused whole with `409 conflict` and `details.stale` when a commit's generation is not the member's current one), then the member's assignments and a batch per shardlet with events.",
      tag: "consumers",
      auth: "consume",
      params: memberParams,
      body: pollBody,
      ok: { status: 200, description: "Assignments, batches and snapshot requests.", schema: pollAnswer },
      errors: [...MEMBER_ERRORS, "rate_limited"],
    },
    {
      id: "commitGroup",
      method: "post",
      path: `${base}/members/{member}/commit`,
      summary: "Commit positions",
      tag: "consumers",
      auth: "consume",
      params: memberParams,
      body: commitBody,
      ok: { status: 200, description: "The commits applied.", schema: commitAnswer },
      errors: MEMBER_ERRORS,
    },
    {
      id: "heartbeatGroup",
      method: "post",
      path: `${base}/members/{member}/heartbeat`,
      summary: "Keep a member's session alive while it processes",
      description: "The body is optional: `{telemetry}` stores the member's latest telemetry (see the poll).",
      tag: "consumers",
      auth: "consume",
      params: memberParams,
      body: heartbeatBody,
      ok: { status: 200, description: "The member's assignments.", schema: heartbeatAnswer },
      errors: MEMBER_ERRORS,
    },
    {
      id: "leaveGroup",
      method: "delete",
      path: `${base}/members/{member}`,
      summary: "Leave the group (optional final commits first)",
      tag: "consumers",
      auth: "consume",
      params: memberParams,
      body: leaveBody,
      ok: { status: 200, description: "Left.", schema: z.object({ ok: z.literal(true) }) },
      errors: MEMBER_ERRORS,
    },
    {
      id: "describeGroup",
      method: "get",
      path: base,
      summary: "A group's members, assignments, positions, checkpoints and lag",
      description: "Member ids are shown only for members the calling key joined; the others by name.",
      tag: "consumers",
      auth: "consume",
      params: groupParams,
      ok: { status: 200, description: "The group.", schema: groupAnswer },
      errors: ["bad_request", ...AUTH, "not_found", "unavailable", "internal"],
    },
  ];
}
