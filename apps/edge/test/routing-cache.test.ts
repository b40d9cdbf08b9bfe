import { describe, expect, it } from "vitest";
import { HASH_SPACE, type ShardletRoute } from "@shardcast/core";
import { createLogger } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { RoutingCache, type RouteSource } from "../src/routing-cache.ts";

const meta = { id: "st", name: "clicks", keyField: "key" };
const shard = { id: "sh", streamId: "st", index: 0, lo: 0, hi: HASH_SPACE, homeHostId: "h1" };
const route = (hostId: string, epoch: number): ShardletRoute => ({ id: "sl", streamId: "st", shardId: "sh", lo: 0, hi: HASH_SPACE, hostId, state: "active", epoch });

/** A route source whose route queries the test answers by hand, to order them against each other. */
function heldSource() {
  const held: Array<(routes: ShardletRoute[]) => void> = [];
  let hold = false;
  let now: ShardletRoute[] = [route("h1", 1)];
  const source: RouteSource = {
    streamByName: (name) => Promise.resolve(name === meta.name ? meta : null),
    routes: () => (hold ? new Promise<ShardletRoute[]>((resolve) => held.push(resolve)) : Promise.resolve(now)),
    shards: () => Promise.resolve([shard]),
  };
  return {
    source,
    holdNext: () => (hold = true),
    release: () => (hold = false),
    set: (r: ShardletRoute[]) => (now = r),
    answer: (i: number, r: ShardletRoute[]) => held[i]!(r),
    queued: () => held.length,
  };
}

describe("RoutingCache", () => {
  it("keeps the routes of a reload that started later than a full refresh answering after it", async () => {
    const src = heldSource();
    const cache = new RoutingCache(src.source, createLogger({}, { level: "error" }));
    expect((await cache.get("clicks"))!.table.byId("sl")!.hostId).toBe("h1");
    // The periodic refresh reads the routes before the shardlet moves...
    src.holdNext();
    const refresh = cache.refreshAll("periodic");
    await waitFor("the refresh to query the routes", () => src.queued() === 1);
    // ...the move's message reloads them and sees the new host...
    src.release();
    src.set([route("h2", 2)]);
    await cache.refreshById("st", "pubsub");
    expect((await cache.get("clicks"))!.table.byId("sl")!.hostId).toBe("h2");
    // ...then the refresh answers with what it read first: it must not put the old host back.
    src.answer(0, [route("h1", 1)]);
    await refresh;
    expect((await cache.get("clicks"))!.table.byId("sl")!.hostId).toBe("h2");
    // A refresh that starts after the move installs what it reads.
    await cache.refreshAll("periodic");
    expect((await cache.get("clicks"))!.table.byId("sl")!.epoch).toBe(2);
  });
});

describe("RoutingCache patches", () => {
  const half = HASH_SPACE / 2;
  const left = (id: string, hostId = "h1"): ShardletRoute => ({ id, streamId: "st", shardId: "sh", lo: 0, hi: half, hostId, state: "active", epoch: 1 });
  const right = (id: string, hostId = "h1"): ShardletRoute => ({ id, streamId: "st", shardId: "sh", lo: half, hi: HASH_SPACE, hostId, state: "active", epoch: 1 });

  it("installs a split's children with no query, and a reload that read the routes before it does not put the source back", async () => {
    const src = heldSource();
    const cache = new RoutingCache(src.source, createLogger({}, { level: "error" }));
    await cache.get("clicks");
    // A reload reads the routes before the split...
    src.holdNext();
    const reload = cache.refreshById("st", "fence");
    await waitFor("the reload to query the routes", () => src.queued() === 1);
    // ...the split's announcement arrives with its children...
    expect(cache.applyPatch("st", { retire: ["sl"], routes: [left("a"), right("b", "h2")] })).toBe("applied");
    expect((await cache.get("clicks"))!.table.all().map((r) => r.id)).toEqual(["a", "b"]);
    // ...and the reload answers with the source: the children stay.
    src.answer(0, [route("h1", 1)]);
    await reload;
    expect((await cache.get("clicks"))!.table.all().map((r) => r.id)).toEqual(["a", "b"]);
    expect(src.queued()).toBe(1);
  });

  it("refuses a patch that arrives after a later change retired what it routes", async () => {
    const src = heldSource();
    const cache = new RoutingCache(src.source, createLogger({}, { level: "error" }));
    await cache.get("clicks");
    expect(cache.applyPatch("st", { retire: ["sl"], routes: [left("a"), right("b")] })).toBe("applied");
    // Hand-off b -> c, then c -> d; d's announcement comes first.
    expect(cache.applyPatch("st", { retire: ["c"], routes: [right("d", "h2")] })).toBe("mismatch");
    expect(cache.applyPatch("st", { retire: ["b"], routes: [right("c", "h2")] })).toBe("applied");
    expect(cache.applyPatch("st", { retire: ["c"], routes: [right("d", "h1")] })).toBe("applied");
    expect(cache.applyPatch("st", { retire: ["b"], routes: [right("c", "h2")] })).toBe("stale");
    expect((await cache.get("clicks"))!.table.byId("d")!.hostId).toBe("h1");
    expect(cache.applyPatch("other", { retire: [], routes: [] })).toBe("unloaded");
  });
});
