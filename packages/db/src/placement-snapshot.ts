import { TERMINAL_MIGRATION_PHASES, UNROUTED_STATES, type PlacementHost, type PlacementShardlet } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";

/**
 * What the placement planners need from the control database, in one read: hosts with capacity
 * and stored bytes, routed shardlets with their write rates (events/s from accounting) and sizes,
 * migrations in flight (and where they go), recent moves for the cool-down, and readable labels.
 */
export interface PlacementSnapshot {
  hosts: PlacementHost[];
  shardlets: PlacementShardlet[];
  /** Shardlet id -> epoch, to stamp proposals (a stale proposal is not run). */
  epochs: Map<string, number>;
  /** Shardlet id -> epoch ms of its last finished move. */
  recentMoves: Map<string, number>;
  /** Shardlets with an open migration (proposed or further), and its destination. */
  inFlight: Set<string>;
  inFlightMoves: Map<string, string>;
  /** Host and shardlet display names ("host-2", "orders 0x00000000–0x3fffffff"). */
  labels: Map<string, string>;
  /** Open migrations per origin and source host (drains keep a bounded number open). */
  openBySource: Map<string, Map<string, number>>;
  /** Proposals nobody has approved or rejected yet, with their origin. */
  undecided: Array<{ id: string; origin: string; shardletId: string; sourceHostId: string; destHostId: string }>;
}

const hex = (n: number) => "0x" + Math.max(0, n).toString(16).padStart(8, "0");

export function shardletRangeLabel(streamName: string, lo: number, hi: number): string {
  return `${streamName} ${hex(lo)}–${hex(hi - 1)}`;
}

export async function loadPlacementSnapshot(db: ControlDb, opts: { now: number; cooldownMs: number }): Promise<PlacementSnapshot> {
  const since = new Date(opts.now - Math.max(0, opts.cooldownMs));
  const [hosts, shardlets, streams, open, recent] = await Promise.all([
    db.host.findMany({ select: { id: true, name: true, status: true, capacityBytes: true, capacityEventsPerSec: true }, orderBy: { name: "asc" } }),
    db.shardlet.findMany({
      where: { state: { notIn: [...UNROUTED_STATES] } },
      select: { id: true, streamId: true, hostId: true, lo: true, hi: true, state: true, writeRate: true, sizeBytes: true, epoch: true },
    }),
    db.stream.findMany({ select: { id: true, name: true } }),
    db.migration.findMany({
      where: { phase: { notIn: [...TERMINAL_MIGRATION_PHASES] } },
      select: { id: true, phase: true, shardletId: true, destHostId: true, sourceHostId: true, origin: true },
    }),
    db.migration.findMany({
      // A failed move cools down too: the planner would propose it again at once, and a move that
      // failed on its data (an id clash) or its destination fails the same way again.
      where: { phase: { in: ["done", "failed"] }, finishedAt: { gte: since } },
      select: { shardletId: true, finishedAt: true },
    }),
  ]);
  const streamName = new Map(streams.map((s) => [s.id, s.name]));
  const labels = new Map<string, string>();
  const bytesOn = new Map<string, number>();
  const epochs = new Map<string, number>();
  const out: PlacementShardlet[] = [];
  for (const s of shardlets) {
    const size = num(s.sizeBytes);
    bytesOn.set(s.hostId, (bytesOn.get(s.hostId) ?? 0) + size);
    epochs.set(s.id, s.epoch);
    labels.set(s.id, shardletRangeLabel(streamName.get(s.streamId) ?? s.streamId, num(s.lo), num(s.hi)));
    out.push({ id: s.id, streamId: s.streamId, hostId: s.hostId, load: s.writeRate, sizeBytes: size, state: s.state });
  }
  const placementHosts: PlacementHost[] = hosts.map((h) => {
    labels.set(h.id, h.name);
    return {
      id: h.id,
      status: h.status,
      capacityEventsPerSec: h.capacityEventsPerSec,
      capacityBytes: num(h.capacityBytes),
      sizeBytes: bytesOn.get(h.id) ?? 0,
    };
  });
  const inFlight = new Set<string>();
  const inFlightMoves = new Map<string, string>();
  const openBySource = new Map<string, Map<string, number>>();
  const undecided: PlacementSnapshot["undecided"] = [];
  for (const m of open) {
    if (m.phase === "proposed") undecided.push({ id: m.id, origin: m.origin, shardletId: m.shardletId, sourceHostId: m.sourceHostId, destHostId: m.destHostId });
    inFlight.add(m.shardletId);
    inFlightMoves.set(m.shardletId, m.destHostId);
    const perHost = openBySource.get(m.origin) ?? new Map<string, number>();
    perHost.set(m.sourceHostId, (perHost.get(m.sourceHostId) ?? 0) + 1);
    openBySource.set(m.origin, perHost);
  }
  const recentMoves = new Map<string, number>();
  for (const m of recent) {
    const at = m.finishedAt?.getTime();
    if (at !== undefined && at > (recentMoves.get(m.shardletId) ?? -Infinity)) recentMoves.set(m.shardletId, at);
  }
  return { hosts: placementHosts, shardlets: out, epochs, recentMoves, inFlight, inFlightMoves, labels, openBySource, undecided };
}
