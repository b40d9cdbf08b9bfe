import { keyHash, ShardcastError, type StoredEvent } from "@shardcast/core";
import type { ReadByKeyQuery, ReadByPositionQuery } from "@shardcast/db/host/types";
import type { SequenceAllocator } from "@shardcast/runtime";
import type { RouteEntry, RoutingCache } from "./routing-cache.ts";
import type { ReaderIdentity } from "./telemetry/counters.ts";

export interface HostReader {
  readByPosition(hostId: string, q: ReadByPositionQuery): Promise<StoredEvent[]>;
  readByKey(hostId: string, q: ReadByKeyQuery): Promise<StoredEvent[]>;
  /** A shardlet's fence on a host (null: none), to tell a stale route after a read. */
  fence?(hostId: string, shardletId: string): Promise<{ epoch: number; state: string } | null>;
}

/** Fence states that say the shardlet's rows are no longer (or soon no longer) on that host. */
const MOVED_AWAY = new Set(["moved"]);
/** Reads by key re-route at most this many times after finding their route stale. */
const MAX_KEY_READ_ROUTES = 3;

export const MAX_READ_LIMIT = 1000;

/** Told about every answered read (for telemetry). */
export interface ReadObserver {
  read(entry: RouteEntry, events: readonly StoredEvent[], reader: ReaderIdentity): void;
}

export interface PositionPage {
  events: StoredEvent[];
  /** Everything at or below this position is final: no event will later appear there. */
  watermark: number;
  /** Pass as `after` to continue. */
  next: number;
}

/** Reads by global position (merged across hosts, never past the watermark) and by key. */
export class ReadService {
  constructor(
    private readonly deps: { routing: RoutingCache; sequences: SequenceAllocator; hosts: HostReader; observer?: ReadObserver },
  ) {}

  private async stream(name: string) {
    const entry = await this.deps.routing.get(name);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${name}"`);
    return entry;
  }

  async byPosition(streamName: string, afterSeq: number, limit: number, reader?: ReaderIdentity): Promise<PositionPage> {
    const entry = await this.stream(streamName);
    const watermark = await this.deps.sequences.watermark(entry.meta.id);
    if (afterSeq >= watermark) return { events: [], watermark, next: afterSeq };
    // Shardlet hosts and shard home hosts (overflow logs) together hold every stored event.
    const hostIds = new Set<string>();
    for (const s of entry.table.all()) {
      hostIds.add(s.hostId);
      // A migrating shardlet's rows are on both hosts until its source is cleaned: reading both
      // keeps a reader whose route is one change behind (across the switch) complete.
      if (s.shadowHostId) hostIds.add(s.shadowHostId);
    }
    for (const shard of entry.shards.values()) hostIds.add(shard.homeHostId);
    const q = { streamId: entry.meta.id, afterSeq, maxSeq: watermark, limit };
    const pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByPosition(h, q)));
    // Every position up to `bound` has been seen from every host: a host that returned a full page
    // may hold more after its last row; one that returned less holds nothing more below the watermark.
    let bound = watermark;
    for (const page of pages) if (page.length >= limit) bound = Math.min(bound, page[page.length - 1]!.seq);
    const events = mergeBySeq(pages.flat().filter((e) => e.seq <= bound)).slice(0, limit);
    const next = events.length === limit ? events[events.length - 1]!.seq : bound;
    if (reader) this.deps.observer?.read(entry, events, reader);
    return { events, watermark, next };
  }

  async byKey(streamName: string, key: string, q: { fromTs?: number; toTs?: number; limit: number }, reader?: ReaderIdentity): Promise<StoredEvent[]> {
    let entry = await this.stream(streamName);
    const hash = keyHash(key);
    let pages: StoredEvent[][] = [];
    for (let attempt = 1; ; attempt++) {
      const route = entry.table.lookup(hash);
      const hostIds = new Set([route.hostId]);
      if (route.shadowHostId) hostIds.add(route.shadowHostId); // being migrated: rows on both hosts
      const home = entry.shards.get(route.shardId)?.homeHostId;
      if (home) hostIds.add(home); // the key's events may still sit in its shard's overflow log
      const query = { streamId: entry.meta.id, key, ...q };
      pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByKey(h, query)));
      // After the read: if the shardlet has moved off the host this route names (its rows there
      // are being, or have been, deleted), the route is stale; read again with a fresh one.
      const fence = this.deps.hosts.fence && !route.shadowHostId ? await this.deps.hosts.fence(route.hostId, route.id) : undefined;
      if (fence === undefined || (fence !== null && !MOVED_AWAY.has(fence.state)) || attempt >= MAX_KEY_READ_ROUTES) break;
      const fresh = await this.deps.routing.refreshById(entry.meta.id);
      if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
      entry = fresh;
    }
    const events = mergeBySeq(pages.flat()).sort((a, b) => a.ts - b.ts || a.seq - b.seq).slice(0, q.limit);
    if (reader) this.deps.observer?.read(entry, events, reader);
    return events;
  }
}

/** Sorted by seq, one event per seq (an event being drained can be read from two places). */
function mergeBySeq(events: StoredEvent[]): StoredEvent[] {
  events.sort((a, b) => a.seq - b.seq);
  const out: StoredEvent[] = [];
  for (const e of events) if (out.length === 0 || out[out.length - 1]!.seq !== e.seq) out.push(e);
  return out;
}
