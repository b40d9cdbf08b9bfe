import { keyHash, MAX_PAGE_BYTES, mergedPage, ShardcastError, type Cursor, type StoredEvent } from "@shardcast/core";
import type { RangeReadResult, RangeSegment, ReadRangesQuery, ReplicaReadResult } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import type { CacheStatus, ReadObserver } from "../reads.ts";
import type { RouteEntry, RoutingCache } from "../routing-cache.ts";
import type { ReaderIdentity } from "../telemetry/counters.ts";
import { clipSegments, subtractRanges, type ReplicaHints } from "./replica-routing.ts";
import { staleRoute } from "../route-fences.ts";
import { storedBytes } from "../stored-bytes.ts";

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
  /**
   * How the edge's shard cache served the page, when one is in front of the hosts: `hit` (no host
   * was read), `partial` (cached events and a host read past them) or `miss` (nothing cached).
   */
  cache?: CacheStatus;
}

export interface RangeHosts {
  readRanges(hostId: string, q: ReadRangesQuery): Promise<RangeReadResult>;
  readReplica?(hostId: string, q: { replicaId: string; streamId: string; segments: readonly RangeSegment[]; maxSeq: number; limit: number; maxBytes: number }): Promise<ReplicaReadResult>;
}

const MAX_ROUTE_ATTEMPTS = 3;

/**
 * Reads of key-hash ranges in sequence order for consumers, never past the watermark, from every
 * host that may hold the ranges' events: the hosts of the shardlets overlapping them (both hosts
 * while one is being migrated, and the hosts a hand-off left their history on) and the home hosts
 * of their shards (the overflow log). A range of a
 * retired shardlet is read the same way, from the shardlets that hold it now.
 */
export class RangeReader {
  constructor(
    private readonly deps: {
      routing: Pick<RoutingCache, "refreshById">;
      sequences: Pick<SequenceAllocator, "watermark">;
      hosts: RangeHosts;
      observer?: ReadObserver;
      onSeqConflict?: (streamId: string, seq: number, events: readonly StoredEvent[]) => void;
      /** Rows of the stream a host examines per read (bounds the cost of a range with few events). */
      scanLimit?: number;
      /** Read replicas' progress; absent: every read goes to the shardlets' own hosts. */
      replicas?: ReplicaHints;
      /** Told about the events each replica served (the placement job's reward). */
      onReplicaRead?: (streamId: string, replicaId: string, events: readonly StoredEvent[]) => void;
      /** Bytes of events per page (default `MAX_PAGE_BYTES`). */
      pageBytes?: number;
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
    // Each host stops at the page's bytes as well as its count: past them the page is cut anyway.
    const pageBytes = this.deps.pageBytes ?? MAX_PAGE_BYTES;

    for (let attempt = 1; ; attempt++) {
      const plan = planRead(entry, parts, segments, from, this.deps.hosts.readReplica ? this.deps.replicas : undefined);
      // Each read's time feeds its target's latency estimate (replica routing), whatever else it
      // read: that is the wait a reader sent there had.
      const results = await Promise.all(
        [...plan.hosts].map(async ([hostId, h]) => {
          const started = performance.now();
          this.deps.replicas?.begin({ hostId });
          const res = await this.deps.hosts
            .readRanges(hostId, {
              streamId: entry.meta.id,
              segments: h.segments,
              maxSeq: watermark,
              limit: limit + 2,
              maxBytes: pageBytes,
              scanLimit: this.deps.scanLimit ?? Math.max(5_000, limit * 20),
              fenceIds: [...h.fenceIds],
            })
            .catch((err: unknown) => {
              this.deps.replicas?.abandoned({ hostId });
              throw err;
            });
          this.deps.replicas?.measured({ hostId }, performance.now() - started);
          return { fenceIds: h.fenceIds, res };
        }),
      );
      const answers = await Promise.all(
        plan.replicas.map(async (r) => {
          const started = performance.now();
          this.deps.replicas?.begin({ replicaId: r.replicaId });
          const res = await this.deps.hosts
            .readReplica!(r.hostId, { replicaId: r.replicaId, streamId: entry.meta.id, segments: r.segments, maxSeq: watermark, limit: limit + 2, maxBytes: pageBytes })
            .catch((err: unknown) => err);
          // A failed read is not a time: the replica is left out as unreachable instead (below).
          if (isReplicaResult(res)) this.deps.replicas?.measured({ replicaId: r.replicaId }, performance.now() - started);
          else this.deps.replicas?.abandoned({ replicaId: r.replicaId });
          return { replicaId: r.replicaId, res };
        }),
      );
      // A replica's host that does not answer costs the reader nothing: it is left out for a while
      // and the read is planned again, so its shardlet's host serves the range.
      const failed = answers.filter((a) => !isReplicaResult(a.res));
      if (failed.length > 0 && attempt < MAX_ROUTE_ATTEMPTS) {
        for (const a of failed) this.deps.replicas?.unreachable(a.replicaId);
        continue;
      }
      if (failed.length > 0) throw failed[0]!.res;
      const fromReplicas = answers as Array<{ replicaId: string; res: ReplicaReadResult }>;
      for (const { replicaId, res } of fromReplicas) {
        if (res.ok) this.deps.replicas?.answered(replicaId, res.verifiedSeq);
        else this.deps.replicas?.forget(replicaId);
      }
      // Read in the same snapshot as the rows: a `moved` or missing fence means the route was stale
      // and the rows it named may already be gone from that host, so read again on fresh routes. So
      // does a replica that is no longer there to read.
      const stale = results.some(({ fenceIds, res }) => staleRoute(fenceIds, res.fences)) || fromReplicas.some(({ res }) => !res.ok);
      if (stale && attempt < MAX_ROUTE_ATTEMPTS) {
        const fresh = await this.deps.routing.refreshById(entry.meta.id, "fence");
        if (!fresh) throw new ShardcastError("not_found", `stream "${entry.meta.name}" was deleted`);
        entry = fresh;
        continue;
      }
      if (stale) throw new ShardcastError("unavailable", "the shardlets being read are moving between hosts; retry shortly");
      for (const { replicaId, res } of fromReplicas) {
        const served = res.events.filter((e) => e.seq <= Math.min(watermark, res.completeTo));
        if (served.length > 0) this.deps.onReplicaRead?.(entry.meta.id, replicaId, served);
      }
      results.push(...fromReplicas.map(({ res }) => ({ fenceIds: new Set<string>(), res: { events: res.events, completeTo: res.completeTo, fences: [] } })));
      // Cut by count or bytes, never inside a position: every part is complete up to the page's
      // last position, whichever part its events belong to, so that is where each part goes on.
      const { events: page, next } = mergedPage(
        results.map(({ res }) => res),
        watermark,
        limit,
        { maxBytes: pageBytes, size: storedBytes, onConflict: (seq, group) => this.deps.onSeqConflict?.(entry.meta.id, seq, group) },
      );
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

function isReplicaResult(v: unknown): v is ReplicaReadResult {
  return typeof v === "object" && v !== null && "ok" in v && "verifiedSeq" in v;
}

interface ReadPlan {
  /** Host id -> the shardlets routed to it whose fences are checked, and the segments read there. */
  hosts: Map<string, { fenceIds: Set<string>; segments: RangeSegment[] }>;
  /** Shardlet ranges read from a replica instead (no host is asked for them). */
  replicas: Array<{ replicaId: string; hostId: string; segments: RangeSegment[] }>;
}

/**
 * Where each part of the read goes: the hosts of the shardlets overlapping the parts (both hosts
 * while one is being migrated) and the home hosts of their shards (the overflow log), or, for a
 * shardlet with a replica verified past `from`, its host or a replica as `ReplicaHints` picks. A range read
 * from a replica is left out of every host's segments: below its verified position the replica
 * holds every event of the range, overflow rows included (it is only verified below the lowest
 * undrained one), and the page ends at or below that position.
 */
function planRead(entry: RouteEntry, parts: readonly RangePart[], segments: readonly RangeSegment[], from: number, replicas?: ReplicaHints): ReadPlan {
  const owners = new Map<string, Set<string>>();
  const viaReplica: ReadPlan["replicas"] = [];
  const add = (hostId: string, fenceId?: string) => {
    const set = owners.get(hostId) ?? new Set<string>();
    if (fenceId) set.add(fenceId);
    owners.set(hostId, set);
  };
  for (const s of entry.table.all()) {
    if (!parts.some((p) => s.lo < p.hi && p.lo < s.hi)) continue;
    // A replica copies its shardlet's own host: history a hand-off left on another host is not in it.
    const history = s.historyHostIds ?? [];
    const replica = history.length === 0 ? replicas?.pick(s, from) : undefined;
    if (replica) {
      viaReplica.push({ replicaId: replica.id, hostId: replica.hostId, segments: clipSegments(segments, s.lo, s.hi) });
      continue;
    }
    // A migrating shardlet's rows are on both hosts until its source is cleaned.
    add(s.hostId, s.shadowHostId ? undefined : s.id);
    if (s.shadowHostId) add(s.shadowHostId);
    // A sealed predecessor's rows are read to their end where they were written, then its successor's.
    for (const h of history) add(h);
  }
  for (const shard of entry.shards.values()) if (parts.some((p) => shard.lo < p.hi && p.lo < shard.hi)) add(shard.homeHostId);
  const rest = subtractRanges(segments, viaReplica.flatMap((r) => r.segments));
  const hosts: ReadPlan["hosts"] = new Map();
  if (rest.length > 0) for (const [hostId, fenceIds] of owners) hosts.set(hostId, { fenceIds, segments: rest });
  return { hosts, replicas: viaReplica.filter((r) => r.segments.length > 0) };
}
