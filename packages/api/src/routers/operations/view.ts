import type { listOperations } from "@shardcast/db";
import type { OperationView } from "../shared.ts";

type OperationRow = Awaited<ReturnType<typeof listOperations>>[number];

export function operationView(o: OperationRow): OperationView {
  return {
    id: o.id,
    kind: o.kind,
    status: o.status,
    message: o.message,
    streamId: o.streamId,
    shardletId: o.shardletId,
    hostId: o.hostId,
    actor: o.actor,
    details: o.details !== null && typeof o.details === "object" && !Array.isArray(o.details) ? (o.details as Record<string, unknown>) : null,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    durationMs: o.durationMs,
  };
}
