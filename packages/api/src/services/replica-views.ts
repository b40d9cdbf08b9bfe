import { redactSecrets } from "@shardcast/core";
import { listHostNames, listReplicas, listStreamNames, type ControlDb } from "@shardcast/db";
import { readReplicaServed, type Logger } from "@shardcast/runtime";
import type { RedisClient } from "../context.ts";
import type { ReplicasView } from "../routers/cache/schemas.ts";
import { streamFor } from "./consumer-views.ts";

export interface ReplicasViewDeps {
  db: ControlDb;
  redis: RedisClient;
  prefix: string;
  log: Logger;
}

/**
 * The read replicas the control database records, with their hosts' and streams' names and the
 * events each served (from the edges' counts in Redis). Without Redis the replicas still show:
 * only what they served is unknown, and the view says why.
 */
export async function replicasView(deps: ReplicasViewDeps, q: { stream?: string; nowMs: number }): Promise<ReplicasView> {
  const stream = q.stream ? await streamFor(deps.db, q.stream) : null;
  const [records, hosts, names] = await Promise.all([listReplicas(deps.db, stream ? { streamId: stream.id } : {}), listHostNames(deps.db), listStreamNames(deps.db)]);
  let served: Map<string, number> | null = null;
  let servedError: string | null = null;
  try {
    served = await readReplicaServed(deps.redis, deps.prefix);
  } catch (err) {
    servedError = `events served could not be read: ${err instanceof Error ? redactSecrets(err.message) : "Redis did not answer"}`;
    deps.log.warn("replicas view: served counts unreadable", { error: err });
  }
  const hostName = new Map(hosts.map((h) => [h.id, h.name]));
  const streamName = new Map(names.map((n) => [n.id, n.name]));
  const replicas = records.map((r) => ({
    id: r.id,
    streamId: r.streamId,
    streamName: streamName.get(r.streamId) ?? r.streamId,
    shardletId: r.shardletId,
    range: { lo: r.lo, hi: r.hi },
    hostId: r.hostId,
    hostName: hostName.get(r.hostId) ?? r.hostId,
    sourceHostId: r.sourceHostId,
    sourceHostName: hostName.get(r.sourceHostId) ?? r.sourceHostId,
    epoch: r.epoch,
    state: r.state,
    verifiedSeq: r.verifiedSeq,
    events: r.events,
    bytes: r.bytes,
    // A replica no edge has read from yet has no count: it served nothing, which is known.
    served: served ? (served.get(r.id) ?? 0) : null,
    reason: r.reason,
    createdAt: r.createdAt,
    ageSec: Math.max(0, Math.round((q.nowMs - r.createdAt.getTime()) / 1000)),
    updatedAt: r.updatedAt,
  }));
  replicas.sort((a, b) => a.streamName.localeCompare(b.streamName) || a.range.lo - b.range.lo || a.hostName.localeCompare(b.hostName));
  return { at: new Date(q.nowMs), stream, hosts: hosts.length, replicas, servedError };
}
