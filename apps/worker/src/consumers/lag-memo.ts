import type { Cursor } from "@shardcast/core";

/** A group's backlog on one shardlet: events behind its cursor, and when the oldest of them was stored. */
export interface LagFigure {
  events: number;
  oldestStoredAt: number | null;
}

interface Entry extends LagFigure {
  cursor: string;
  eventCount: number;
  measuredAt: number;
}

/** How long a measured backlog is reused while nothing it depends on changed. */
export const LAG_REUSE_MS = 30_000;

/**
 * The checkpoint job's last lag measurement per group and shardlet, so a run scans a host only for
 * what changed: a backlog depends on the group's cursor and the events the shardlet holds (its
 * accounted count moves with writes and expiry alike), so while both stay as they were the last
 * figure stands, and its age in seconds is recomputed from the oldest event's time. Reuse is
 * bounded by `LAG_REUSE_MS`, since the accounted count trails the writes by a fold or two. Kept per
 * worker process: a run on another worker measures afresh, which is only slower.
 */
export class LagMemo {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly reuseMs = LAG_REUSE_MS) {}

  /** The figure measured for this cursor and event count, if it is recent enough. */
  get(groupId: string, shardletId: string, cursor: Cursor, eventCount: number, now: number): LagFigure | null {
    const e = this.entries.get(`${groupId}/${shardletId}`);
    if (!e || e.eventCount !== eventCount || e.cursor !== JSON.stringify(cursor) || now - e.measuredAt > this.reuseMs) return null;
    return { events: e.events, oldestStoredAt: e.oldestStoredAt };
  }

  set(groupId: string, shardletId: string, cursor: Cursor, eventCount: number, now: number, figure: LagFigure): void {
    this.entries.set(`${groupId}/${shardletId}`, { ...figure, cursor: JSON.stringify(cursor), eventCount, measuredAt: now });
  }

  /** Forgets figures too old to be reused (groups and shardlets that are gone leave with them). */
  prune(now: number): void {
    for (const [key, e] of this.entries) if (now - e.measuredAt > this.reuseMs) this.entries.delete(key);
  }
}
