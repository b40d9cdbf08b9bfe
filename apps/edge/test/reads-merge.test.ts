import { describe, expect, it } from "vitest";
import type { StoredEvent } from "@shardcast/core";
import type { PositionReadResult, ReadByPositionQuery } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import { ReadService } from "../src/reads.ts";
import type { RoutingCache } from "../src/routing-cache.ts";

const ev = (seq: number, key: string, shardletId = "sl-1"): StoredEvent => ({
  streamId: "st",
  seq,
  shardletId,
  key,
  id: `${key}-${seq}`,
  type: null,
  ts: 1_700_000_000_000 + seq,
  payload: { key },
});

/** What a host answers, as the host query does when its page is cut by count: complete up to the position before its last. */
function hostPage(rows: readonly StoredEvent[], q: ReadByPositionQuery): PositionReadResult {
  const events = rows.filter((e) => e.seq > q.afterSeq && e.seq <= q.maxSeq).sort((a, b) => a.seq - b.seq).slice(0, q.limit);
  if (events.length < q.limit) return { events, completeTo: q.maxSeq };
  const completeTo = Math.max(events[0]!.seq, events[events.length - 1]!.seq - 1);
  return { events: events.filter((e) => e.seq <= completeTo), completeTo };
}

/** A read service over in-memory hosts, with a fixed watermark. */
function service(rows: Record<string, StoredEvent[]>, watermark: number) {
  const conflicts: Array<{ seq: number; n: number }> = [];
  const hostIds = Object.keys(rows);
  const entry = {
    meta: { id: "st", name: "s", keyField: null },
    table: { all: () => hostIds.map((hostId, i) => ({ id: `sl-${i}`, hostId, shadowHostId: null })) },
    shards: new Map(),
  };
  const reads = new ReadService({
    routing: { get: () => Promise.resolve(entry) } as unknown as RoutingCache,
    sequences: { watermark: () => Promise.resolve(watermark) } as unknown as SequenceAllocator,
    hosts: {
      readByPosition: (hostId: string, q: ReadByPositionQuery) => Promise.resolve(hostPage(rows[hostId] ?? [], q)),
      readByKey: () => Promise.resolve({ events: [], more: false }),
    },
    onSeqConflict: (_streamId, seq, events) => conflicts.push({ seq, n: events.length }),
  });
  return { reads, conflicts };
}

/** Reads the whole stream page by page, as a client does. */
async function readAll(reads: ReadService, limit: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after = 0;
  for (let pages = 0; pages < 100; pages++) {
    const page = await reads.byPosition("s", after, limit);
    out.push(...page.events);
    if (page.next === after) return out;
    after = page.next;
  }
  throw new Error("reading did not finish");
}

describe("merging host reads by position", () => {
  it("keeps different events that share a sequence number, in the same order whichever host holds which", async () => {
    const a = { h1: [ev(1, "a"), ev(2, "x"), ev(3, "c")], h2: [ev(2, "y"), ev(4, "d")] };
    const b = { h1: [ev(2, "y"), ev(4, "d")], h2: [ev(1, "a"), ev(2, "x"), ev(3, "c")] };
    for (const rows of [a, b]) {
      const { reads, conflicts } = service(rows, 4);
      const page = await reads.byPosition("s", 0, 100);
      expect(page.events.map((e) => `${e.seq}${e.key}`)).toEqual(["1a", "2x", "2y", "3c", "4d"]);
      expect(conflicts).toEqual([{ seq: 2, n: 2 }]);
    }
  });

  it("returns copies of one event once (an overflow row and the shardlet it was drained into)", async () => {
    const { reads, conflicts } = service({ h1: [ev(1, "a", "sl-old"), ev(2, "b")], h2: [ev(1, "a", "sl-new")] }, 2);
    const page = await reads.byPosition("s", 0, 100);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(conflicts).toEqual([]);
  });

  it("never ends a page inside a sequence number, so paging loses none of its events", async () => {
    const rows = { h1: [ev(1, "a"), ev(2, "x"), ev(3, "c"), ev(4, "e")], h2: [ev(2, "y"), ev(3, "d")] };
    for (const limit of [1, 2, 3, 4]) {
      const { reads } = service(rows, 4);
      const all = await readAll(reads, limit);
      expect(all.map((e) => `${e.seq}${e.key}`), `limit ${limit}`).toEqual(["1a", "2x", "2y", "3c", "3d", "4e"]);
    }
  });
});
