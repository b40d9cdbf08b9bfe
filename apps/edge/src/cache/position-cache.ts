import { keyHash, type StoredEvent } from "@shardcast/core";
import { pageOf, type PositionCache } from "../reads.ts";
import type { RouteEntry } from "../routing-cache.ts";
import { storedBytes } from "../telemetry/observe.ts";
import type { CacheStats } from "./cache-stats.ts";
import type { CachedPart, ShardCache } from "./shard-cache.ts";

/**
 * Reads by global position through the shard cache. A position read is a range read of every
 * routed shardlet from the same position, so the entries consumer reads keep serve it too, and a
 * page the hosts answered is complete for every range up to its `next`, so it fills them.
 *
 * All or nothing: a page is served from memory only when every routed range is cached from the
 * position on (a position page interleaves every shardlet, so one uncached range means a read of
 * every host anyway, and the hosts' page is then the whole answer). Served pages follow the
 * hosts' rules: never past the watermark or an entry's end, never ending inside a position.
 *
 * Reads by key are not served here: they select by timestamp, which is not ordered by position,
 * so no position interval an entry holds can tell that it has every event of a key in a time range.
 */
export class CachedPositions implements PositionCache {
  constructor(private readonly deps: { cache: ShardCache; stats: CacheStats }) {}

  serve(entry: RouteEntry, after: number, limit: number, watermark: number): { events: StoredEvent[]; next: number } | null {
    const routes = entry.table.all();
    if (routes.length === 0) return null;
    // Checked before any lookup: a lookup counts as a read of its entry, and a page the cache cannot
    // answer whole reads every host instead.
    if (!routes.every((r) => this.deps.cache.covers(entry.meta.id, r.lo, r.hi, [{ lo: r.lo, hi: r.hi, after }]))) return null;
    const parts: Array<{ shardletId: string; hit: CachedPart }> = [];
    for (const r of routes) {
      const hit = this.deps.cache.lookup(entry.meta.id, r.lo, r.hi, [{ lo: r.lo, hi: r.hi, after }], limit + 1);
      if (!hit) return null;
      parts.push({ shardletId: r.id, hit });
    }
    let reach = watermark;
    for (const p of parts) reach = Math.min(reach, p.hit.entry.to);
    // The routes tile the key space, so no event is in two parts: a sort, as the range reader's
    // cached pages do, not mergeBySeq's de-duplication (which serializes every event).
    const events = parts.flatMap((p) => p.hit.events.filter((e) => e.seq <= reach)).sort((a, b) => a.seq - b.seq);
    // Short of the watermark with room left on the page: the hosts hold more that the page must include.
    if (reach < watermark && events.length < limit) return null;
    const page = pageOf(events, limit);
    const next = page.length < events.length ? page[page.length - 1]!.seq : reach;
    const served = new Set(page);
    for (const p of parts) {
      let bytes = 0;
      for (const e of p.hit.events) if (served.has(e)) bytes += storedBytes(e);
      this.deps.stats.part(entry.meta.id, p.shardletId, true, bytes, 0);
    }
    this.deps.stats.total.hostReadsSaved++;
    return { events: page, next };
  }

  filled(entry: RouteEntry, after: number, next: number, events: readonly StoredEvent[]): void {
    if (next <= after) return;
    // The routes tile the key space, so each event belongs to exactly one of them.
    const byRoute = new Map<string, StoredEvent[]>();
    for (const e of events) {
      if (e.seq <= after || e.seq > next) continue;
      const id = entry.table.lookup(keyHash(e.key)).id;
      const list = byRoute.get(id);
      if (list) list.push(e);
      else byRoute.set(id, [e]);
    }
    for (const r of entry.table.all()) {
      const own = byRoute.get(r.id) ?? [];
      let bytes = 0;
      for (const e of own) bytes += storedBytes(e);
      this.deps.stats.part(entry.meta.id, r.id, false, 0, bytes, this.deps.cache.evictedCovers(entry.meta.id, r.id, [{ lo: r.lo, hi: r.hi, after }]));
      // An empty list is a fact too: the route holds nothing in (after, next].
      this.deps.cache.fill({ streamId: entry.meta.id, shardletId: r.id, epoch: r.epoch, lo: r.lo, hi: r.hi, from: after, to: next, events: own });
    }
  }
}
