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
    const hostIds = [...new Set(entry.table.all().map((s) => s.hostId))];
    const q = { streamId: entry.meta.id, afterSeq, maxSeq: watermark, limit };
    const pages = await Promise.all(hostIds.map((h) => this.deps.hosts.readByPosition(h, q)));
    const events = pages.flat().sort((a, b) => a.seq - b.seq).slice(0, limit);
    // A short page means every position up to the watermark was seen (gaps are never-used numbers).
    const next = events.length < limit ? watermark : events[events.length - 1]!.seq;
    return { events, watermark, next };
  }

  async byKey(streamName: string, key: string, q: { fromTs?: number; toTs?: number; limit: number }): Promise<StoredEvent[]> {
    const entry = await this.stream(streamName);
    const route = entry.table.lookup(keyHash(key));
    return this.deps.hosts.readByKey(route.hostId, { streamId: entry.meta.id, key, ...q });
  }
}
