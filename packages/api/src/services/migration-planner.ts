import { windowLabel, type RebalanceSettings } from "@shardcast/core";
import { getRebalanceSettings, listHostNames, listPlannerNotes, loadPlacementSnapshot, type ControlDb } from "@shardcast/db";

/** Host loads against the rebalancer's thresholds and its latest "why not" notes, for the console. */

export interface HostLoadView {
  id: string;
  name: string;
  status: string;
  /** Events/s now. */
  load: number;
  /** Events/s once the open migrations have landed. */
  projectedLoad: number;
  capacityEventsPerSec: number;
  /** What the host would carry if every active host were equally utilised. */
  share: number;
  /** Moves start above this... */
  trigger: number;
  /** ...and a destination may not pass this. */
  ceiling: number;
  shardlets: number;
}

export interface PlannerView {
  hosts: HostLoadView[];
  notes: Array<{ id: number; message: string; hostId: string | null; shardletId: string | null; streamId: string | null; at: Date }>;
  lastRunAt: Date | null;
  settings: Pick<RebalanceSettings, "enabled" | "autoApprove" | "tolerance" | "hysteresis"> & { window: string };
}

export async function plannerView(db: ControlDb, now: number): Promise<PlannerView> {
  const settings = await getRebalanceSettings(db);
  const [snap, notes, hostRows] = await Promise.all([
    loadPlacementSnapshot(db, { now, cooldownMs: settings.cooldownSec * 1000 }),
    listPlannerNotes(db, { source: "rebalancer", limit: 200 }),
    listHostNames(db),
  ]);
  const names = new Map(hostRows.map((h) => [h.id, h.name]));
  const load = new Map<string, number>();
  const projected = new Map<string, number>();
  const count = new Map<string, number>();
  for (const s of snap.shardlets) {
    load.set(s.hostId, (load.get(s.hostId) ?? 0) + s.load);
    count.set(s.hostId, (count.get(s.hostId) ?? 0) + 1);
    const to = snap.inFlightMoves.get(s.id) ?? s.hostId;
    projected.set(to, (projected.get(to) ?? 0) + s.load);
  }
  const active = snap.hosts.filter((h) => h.status === "active");
  const capacity = active.reduce((sum, h) => sum + h.capacityEventsPerSec, 0);
  let total = 0;
  for (const h of snap.hosts) if (h.status !== "down") total += load.get(h.id) ?? 0;
  const meanUtil = capacity > 0 ? total / capacity : 0;
  return {
    hosts: snap.hosts
      .map((h) => {
        const share = h.status === "active" ? meanUtil * h.capacityEventsPerSec : 0;
        return {
          id: h.id,
          name: names.get(h.id) ?? h.id,
          status: h.status,
          load: load.get(h.id) ?? 0,
          projectedLoad: projected.get(h.id) ?? 0,
          capacityEventsPerSec: h.capacityEventsPerSec,
          share,
          trigger: share * (1 + settings.tolerance),
          ceiling: share * (1 + settings.tolerance - settings.hysteresis),
          shardlets: count.get(h.id) ?? 0,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    notes: notes.map((n) => ({ id: n.id, message: n.message, hostId: n.hostId, shardletId: n.shardletId, streamId: n.streamId, at: n.at })),
    lastRunAt: notes.reduce<Date | null>((latest, n) => (latest === null || n.at > latest ? n.at : latest), null),
    settings: { enabled: settings.enabled, autoApprove: settings.autoApprove, tolerance: settings.tolerance, hysteresis: settings.hysteresis, window: windowLabel(settings) },
  };
}
