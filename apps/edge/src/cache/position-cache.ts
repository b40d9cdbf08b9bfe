import { keyHash, MAX_PAGE_BYTES, pageOf, siftDown, type StoredEvent } from "@shardcast/core";
import type { PositionCache } from "../reads.ts";
import type { RouteEntry } from "../routing-cache.ts";
import { storedBytes } from "../stored-bytes.ts";
import { keepJson } from "./event-json.ts";
import type { CacheStats } from "./cache-stats.ts";
import type { ShardCache } from "./shard-cache.ts";

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
  constructor(
    private readonly deps: {
      cache: ShardCache;
      stats: CacheStats;
      /** Bytes of events per page (default `MAX_PAGE_BYTES`): the page the hosts would answer. */
      pageBytes?: number | undefined;
    },
  ) {}

  serve(entry: RouteEntry, after: number, limit: number, watermark: number, current = true): { events: StoredEvent[]; next: number } | null {
    const routes = entry.table.all();
    if (routes.length === 0) return null;
    const scan = this.deps.cache.scanAll(entry.meta.id, routes, after);
    if (!scan) return null;
    let reach = watermark;
    for (const run of scan.runs) reach = Math.min(reach, run.entry.to);
    const runs: Run[] = scan.runs.map((run, part) => ({ part, next: run.next, head: undefined }));
    const { page, parts, more } = mergePage(runs, reach, limit, this.deps.pageBytes);
    // Below a watermark that may have moved on (`current` false), only a page cut short of what is
    // cached below it is the hosts' page; the read is then asked again with the current one, so
    // this try does not count as a read of the entries.
    if (!current && !more) return null;
    scan.read();
    // Short of the watermark with room left on the page: the hosts hold more that the page must include.
    if (reach < watermark && !more && page.length < limit) return null;
    const bytes = new Array<number>(routes.length).fill(0);
    for (let i = 0; i < page.length; i++) {
      const e = page[i]!;
      bytes[parts[i]!]! += storedBytes(e);
      keepJson(e); // served again from here on: its text is written once (see event-json.ts)
    }
    routes.forEach((r, i) => this.deps.stats.part(entry.meta.id, r.id, true, bytes[i]!, 0));
    this.deps.stats.total.hostReadsSaved++;
    if (!current) this.deps.stats.total.watermarkReadsSaved++;
    return { events: page, next: more ? page[page.length - 1]!.seq : reach };
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

/** One route's cached events in position order, and the one the merge looks at. */
export interface Run {
  part: number;
  next: () => StoredEvent | undefined;
  head: StoredEvent | undefined;
}

const before = (a: Run, b: Run): boolean => a.head!.seq < b.head!.seq || (a.head!.seq === b.head!.seq && a.part < b.part);

/**
 * The routes' events up to `reach` merged in position order, as far as a page goes by `pageOf`'s
 * rules (`limit` events, not ending inside a position; the whole first position when it alone
 * passes the limit), with the run each event came from; `more`: events up to `reach` are left.
 * A heap over the runs' heads: the page costs its own events times log(routes), where sorting
 * every route's share of a page cost routes times the page (core's heap steps, as the prefetch
 * queue's).
 */
export function mergePage(runs: Run[], reach: number, limit: number, maxBytes = MAX_PAGE_BYTES): { page: StoredEvent[]; parts: number[]; more: boolean } {
  const heap: Run[] = [];
  for (const run of runs) {
    run.head = run.next();
    if (run.head && run.head.seq <= reach) heap.push(run);
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, before);
  const page: StoredEvent[] = [];
  const parts: number[] = [];
  const take = (): void => {
    const run = heap[0]!;
    page.push(run.head!);
    parts.push(run.part);
    run.head = run.next();
    if (!run.head || run.head.seq > reach) {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      if (last !== run) heap[0] = last;
    }
    siftDown(heap, 0, before);
  };
  // A page and the rest of its last position: enough for `pageOf` to cut it as it cuts a whole list.
  while (heap.length > 0 && (page.length < limit || heap[0]!.head!.seq === page[page.length - 1]!.seq)) take();
  const cut = pageOf(page, limit, maxBytes, storedBytes);
  return { page: cut, parts: parts.slice(0, cut.length), more: cut.length < page.length || heap.length > 0 };
}
