import { keyHash, ShardcastError, type StoredEvent } from "@shardcast/core";
import type { ReadByKeyQuery, ReadByPositionQuery } from "@shardcast/db/host/types";
import type { SequenceAllocator } from "@shardcast/runtime";
import type { RoutingCache } from "./routing-cache.ts";

export interface HostReader {
  readByPosition(hostId: string, q: ReadByPositionQuery): Promise<StoredEvent[]>;
  readByKey(hostId: string, q: ReadByKeyQuery): Promise<StoredEvent[]>;
}

export const MAX_READ_LIMIT = 1000;

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
    private readonly deps: { routing: RoutingCache; sequences: SequenceAllocator; hosts: HostReader },
  ) {}

  private async stream(name: string) {
    const entry = await this.deps.routing.get(name);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${name}"`);
    return entry;
  }

  async byPosition(streamName: string, afterSeq: number, limit: number): Promise<PositionPage> {
    const entry = await this.stream(streamName);
    const watermark = await this.deps.sequences.watermark(entry.meta.id);
    if (afterSeq >= watermark) return { events: [], watermark, next: afterSeq };
    // Shardlet hosts and shard home hosts (overflow logs) together hold every stored event.
    const hostIds = new Set(entry.table.all().map((s) => s.hostId));
    for (const shard of entry.shards.values()) hostIds.add(shard.homeHostId);
    const q = { streamId: entry.meta.id, afterSeq, maxSeq: watermark, limit };
    const pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByPosition(h, q)));
    // Every position up to `bound` has been seen from every host: a host that returned a full page
    // may hold more after its last row; one that returned less holds nothing more below the watermark.
    let bound = watermark;
    for (const page of pages) if (page.length >= limit) bound = Math.min(bound, page[page.length - 1]!.seq);
    const events = mergeBySeq(pages.flat().filter((e) => e.seq <= bound)).slice(0, limit);
    const next = events.length === limit ? events[events.length - 1]!.seq : bound;
    return { events, watermark, next };
  }

  async byKey(streamName: string, key: string, q: { fromTs?: number; toTs?: number; limit: number }): Promise<StoredEvent[]> {
    const entry = await this.stream(streamName);
    const route = entry.table.lookup(keyHash(key));
    const hostIds = new Set([route.hostId]);
    const home = entry.shards.get(route.shardId)?.homeHostId;
    if (home) hostIds.add(home); // the key's events may still sit in its shard's overflow log
    const query = { streamId: entry.meta.id, key, ...q };
    const pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByKey(h, query)));
    return mergeBySeq(pages.flat()).sort((a, b) => a.ts - b.ts || a.seq - b.seq).slice(0, q.limit);
  }
}

/** Sorted by seq, one event per seq (an event being drained can be read from two places). */
function mergeBySeq(events: StoredEvent[]): StoredEvent[] {
  events.sort((a, b) => a.seq - b.seq);
  const out: StoredEvent[] = [];
  for (const e of events) if (out.length === 0 || out[out.length - 1]!.seq !== e.seq) out.push(e);
  return out;
}
