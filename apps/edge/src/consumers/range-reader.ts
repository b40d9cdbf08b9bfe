import { keyHash, ShardcastError, type Cursor, type StoredEvent } from "@shardcast/core";
import type { RangeReadResult, ReadRangesQuery } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import { mergeBySeq, pageOf, type ReadObserver } from "../reads.ts";
import type { RouteEntry, RoutingCache } from "../routing-cache.ts";
import type { ReaderIdentity } from "../telemetry/counters.ts";

/** What a consumer reads of one shardlet: its range, after its cursor's per-segment positions. */
export interface RangePart {
  shardletId: string;
  lo: number;
  hi: number;
  cursor: Cursor;
}

export interface RangePage {
  /** Events of each part, in sequence order (parts with none are absent). */
  events: Map<string, StoredEvent[]>;
  /** Every part is complete up to here: commit it after processing the part's events. */
  next: number;
  watermark: number;
}

export interface RangeHosts {
  readRanges(hostId: string, q: ReadRangesQuery): Promise<RangeReadResult>;
}

/** Fence states saying a shardlet's rows are leaving (or have left) the host a route names. */
const MOVED_AWAY = new Set(["moved"]);
const MAX_ROUTE_ATTEMPTS = 3;

/**
 * Reads of key-hash ranges in sequence order for consumers, never past the watermark, from every
 * host that may hold the ranges' events: the hosts of the shardlets overlapping them (both hosts
 * while one is being migrated) and the home hosts of their shards (the overflow log). A range of a
 * retired shardlet is read the same way, from the shardlets that hold it now.
 */
export class RangeReader {
  constructor(
    private readonly deps: {
      routing: RoutingCache;
      sequences: SequenceAllocator;
      hosts: RangeHosts;
      observer?: ReadObserver;
      onSeqConflict?: (streamId: string, seq: number, events: readonly StoredEvent[]) => void;
      /** Rows of the stream a host examines per read (bounds the cost of a range with few events). */
      scanLimit?: number;
    },
  ) {}

  /** `knownWatermark`: a watermark the caller just read (it only rises, so an older one is safe). */
  async read(entryIn: RouteEntry, parts: readonly RangePart[], limit: number, reader?: ReaderIdentity, knownWatermark?: number): Promise<RangePage> {
    let entry = entryIn;
    const watermark = knownWatermark ?? (await this.deps.sequences.watermark(entry.meta.id));
    if (parts.length === 0) return { events: new Map(), next: watermark, watermark };
    const segments = parts.flatMap((p) => p.cursor.filter((s) => s.hi > s.lo));
    const from = Math.min(...segments.map((s) => s.after));
    if (from >= watermark) return { events: new Map(), next: Math.max(from, watermark), watermark };

    for (let attempt = 1; ; attempt++) {
      const plan = hostsFor(entry, parts);
      const results = await Promise.all(
        [...plan].map(async ([hostId, fenceIds]) => ({
          fenceIds,
          res: await this.deps.hosts.readRanges(hostId, {
            streamId: entry.meta.id,
            segments,
            maxSeq: watermark,
            limit: limit + 2,
            scanLimit: this.deps.scanLimit ?? Math.max(5_000, limit * 20),
            fenceIds: [...fenceIds],
          }),
        })),
      );
      // Read in the same snapshot as the rows: a `moved` fence means the route was stale and the
      // rows it named may already be gone from that host, so read again on fresh routes.
      const stale = results.some(({ res }) => res.fences.some((f) => MOVED_AWAY.has(f.state)));
      if (stale && attempt < MAX_ROUTE_ATTEMPTS) {
        const fresh = await this.deps.routing.refreshById(entry.meta.id, "fence");
        if (!fresh) throw new ShardcastError("not_found", `stream "${entry.meta.name}" was deleted`);
        entry = fresh;
        continue;
      }
      if (stale) throw new ShardcastError("unavailable", "the shardlets being read are moving between hosts; retry shortly");
      const bound = Math.min(watermark, ...results.map(({ res }) => res.completeTo));
      const merged = mergeBySeq(
        results.flatMap(({ res }) => res.events).filter((e) => e.seq <= bound),
        (seq, group) => this.deps.onSeqConflict?.(entry.meta.id, seq, group),
      );
      const page = pageOf(merged, limit);
      const next = page.length < merged.length ? page[page.length - 1]!.seq : bound;
      const byPart = new Map<string, StoredEvent[]>();
      const sorted = [...parts].sort((a, b) => a.lo - b.lo);
      for (const e of page) {
        const h = keyHash(e.key);
        const part = sorted.find((p) => h >= p.lo && h < p.hi);
        if (!part) continue;
        const list = byPart.get(part.shardletId) ?? [];
        list.push(e);
        byPart.set(part.shardletId, list);
      }
      if (reader && page.length > 0) this.deps.observer?.read(entry, page, reader);
      return { events: byPart, next, watermark };
    }
  }
}

/** Host id -> the shardlets routed to it that overlap the parts (their fences are checked). */
function hostsFor(entry: RouteEntry, parts: readonly RangePart[]): Map<string, Set<string>> {
  const plan = new Map<string, Set<string>>();
  const add = (hostId: string, fenceId?: string) => {
    const set = plan.get(hostId) ?? new Set<string>();
    if (fenceId) set.add(fenceId);
    plan.set(hostId, set);
  };
  for (const s of entry.table.all()) {
    if (!parts.some((p) => s.lo < p.hi && p.lo < s.hi)) continue;
    // A migrating shardlet's rows are on both hosts until its source is cleaned.
    add(s.hostId, s.shadowHostId ? undefined : s.id);
    if (s.shadowHostId) add(s.shadowHostId);
  }
  for (const shard of entry.shards.values()) if (parts.some((p) => shard.lo < p.hi && p.lo < shard.hi)) add(shard.homeHostId);
  return plan;
}
