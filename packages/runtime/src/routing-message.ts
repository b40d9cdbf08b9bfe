import { SHARDLET_STATES, type RoutePatch } from "@shardcast/core";
import { z } from "zod";

const route = z.object({
  id: z.string(),
  streamId: z.string(),
  shardId: z.string(),
  lo: z.number().int(),
  hi: z.number().int(),
  hostId: z.string(),
  epoch: z.number().int(),
  state: z.enum(SHARDLET_STATES),
  shadowHostId: z.string().nullable().optional(),
  replicas: z.array(z.object({ id: z.string(), hostId: z.string(), verifiedSeq: z.number() })).optional(),
  overflowPending: z.boolean().optional(),
  historyHostIds: z.array(z.string()).optional(),
});

const patchSchema = z.object({ retire: z.array(z.string()), routes: z.array(route) });
const message = z.object({ streamId: z.string().optional(), patch: z.unknown().optional() });

/** A routing announcement as an edge reads it (see `publishRoutingChange`). */
export interface RoutingMessage {
  streamId?: string;
  patch?: RoutePatch;
}

/**
 * Parses a message from the routing channel. A patch that does not parse is dropped, not the
 * message: the edge then reads the stream's routes, as for a message without one. Null for a
 * message that is not an object.
 */
export function parseRoutingMessage(raw: string): RoutingMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = message.safeParse(value);
  if (!parsed.success) return null;
  const { streamId, patch } = parsed.data;
  const routes = patch === undefined ? null : patchSchema.safeParse(patch);
  return { ...(streamId !== undefined ? { streamId } : {}), ...(routes?.success ? { patch: routes.data } : {}) };
}
