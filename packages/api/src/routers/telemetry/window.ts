import { z } from "zod";
import { resolutionFor, ShardcastError, streamNameSchema } from "@shardcast/core";
import { getStreamByName, type ControlDb } from "@shardcast/db";

export const telemetryWindowInput = z.object({
  stream: streamNameSchema,
  /** How far back from now. */
  windowMinutes: z.number().int().min(1).max(7 * 24 * 60).default(15),
  limit: z.number().int().min(1).max(100).default(10),
});

export const telemetryWindowOutput = z.object({
  /** Bucket length (seconds) the figures were summed from. */
  resolution: z.number(),
  from: z.number(),
  to: z.number(),
});

/** The stream's id and the window [now - windowMinutes, now) with the finest resolution that covers it. */
export async function telemetryWindow(db: ControlDb, input: z.infer<typeof telemetryWindowInput>, now = Date.now()) {
  const stream = await getStreamByName(db, input.stream);
  if (!stream) throw new ShardcastError("not_found", `Stream "${input.stream}" does not exist.`);
  const from = now - input.windowMinutes * 60_000;
  return { streamId: stream.id, from, to: now, resolution: resolutionFor(from, now, now) };
}
