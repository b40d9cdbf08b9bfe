import { ShardcastError, type CapacityEstimate, type LoadObservation } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { MAX_HOST_EVENTS_PER_SEC } from "../hosts.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { checkResolution, epochMs, tsAt } from "../telemetry/time.ts";

/**
 * Each host's write load and mean ack latency per telemetry bucket of [fromMs, toMs) at
 * `resolution`: the shardlets' buckets summed over the host they are placed on now. A shardlet
 * a copying migration moved counts on its new host for buckets before the move too; a hand-off
 * leaves the sealed predecessor where it was, so those keep their host.
 */
export async function hostLoadObservations(db: ControlDb, q: { fromMs: number; toMs: number; resolution: number }): Promise<Map<string, LoadObservation[]>> {
  checkResolution(q.resolution);
  if (!(q.toMs > q.fromMs)) throw new ShardcastError("bad_request", `host load is read over a window with to > from (got ${q.fromMs}..${q.toMs})`);
  const rows = await db.$queryRaw<Array<{ host_id: string; at: number; writes: number; lat_sum: number; lat_count: number }>>`
    SELECT s.host_id, ${epochMs(Prisma.sql`t.bucket_start`)} AS at, sum(t.writes)::float8 AS writes,
           sum(t.latency_sum_ms)::float8 AS lat_sum, sum(t.latency_count)::float8 AS lat_count
    FROM telemetry_buckets t JOIN shardlets s ON s.id = t.shardlet_id
    WHERE t.resolution = ${q.resolution} AND t.bucket_start >= ${tsAt(q.fromMs)} AND t.bucket_start < ${tsAt(q.toMs)}
    GROUP BY s.host_id, t.bucket_start
    ORDER BY s.host_id, t.bucket_start`;
  const out = new Map<string, LoadObservation[]>();
  for (const r of rows) {
    const list = out.get(r.host_id) ?? [];
    list.push({ atMs: r.at, load: r.writes / q.resolution, latencyMs: r.lat_count > 0 ? r.lat_sum / r.lat_count : 0, samples: r.lat_count });
    out.set(r.host_id, list);
  }
  return out;
}

/** Stores a host's latest estimate (a null figure clears it: the configured one applies again). */
export async function saveMeasuredCapacity(db: ControlDb, hostId: string, estimate: Pick<CapacityEstimate, "eventsPerSec" | "reason">, at: Date): Promise<void> {
  await db.host.update({
    where: { id: hostId },
    data: { measuredCapacityEventsPerSec: estimate.eventsPerSec, measuredCapacityAt: at, measuredCapacityNote: estimate.reason.slice(0, 500) },
  });
}

/** Writes one of a host's capacity figures: a whole number of events/s within the hosts' limit, or null where the column allows it. */
async function setCapacityFigure(
  db: ControlDb,
  hostId: string,
  column: "capacityOverrideEventsPerSec" | "capacityEventsPerSec",
  eventsPerSec: number | null,
  what: string,
): Promise<void> {
  if (eventsPerSec !== null && (!Number.isSafeInteger(eventsPerSec) || eventsPerSec <= 0 || eventsPerSec > MAX_HOST_EVENTS_PER_SEC)) {
    throw new ShardcastError("validation_failed", `${what} must be a whole number of events/s from 1 to ${MAX_HOST_EVENTS_PER_SEC}`);
  }
  const data = column === "capacityOverrideEventsPerSec" ? { capacityOverrideEventsPerSec: eventsPerSec } : { capacityEventsPerSec: eventsPerSec ?? undefined };
  const res = await db.host.updateMany({ where: { id: hostId }, data });
  if (res.count === 0) throw new ShardcastError("not_found", `Host ${hostId} does not exist.`);
}

/** Sets (a positive whole number of events/s) or clears (null) a host's capacity override. */
export async function setHostCapacityOverride(db: ControlDb, hostId: string, eventsPerSec: number | null): Promise<void> {
  await setCapacityFigure(db, hostId, "capacityOverrideEventsPerSec", eventsPerSec, "capacity override");
}

/** Sets a host's configured (hand-entered) events/s figure. */
export async function setConfiguredHostCapacity(db: ControlDb, hostId: string, eventsPerSec: number): Promise<void> {
  await setCapacityFigure(db, hostId, "capacityEventsPerSec", eventsPerSec, "capacity");
}
