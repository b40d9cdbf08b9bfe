import { describe, expect, it } from "vitest";
import { addFast, earlyIdLookups, HASH_SPACE, holdBack, planWrite, RoutingTable, type ShardletRoute } from "../src/index.ts";

const half = HASH_SPACE / 2;
const route = (over: Partial<ShardletRoute> & Pick<ShardletRoute, "id" | "lo" | "hi">): ShardletRoute => ({
  streamId: "s",
  shardId: "shard-0",
  hostId: "h1",
  epoch: 1,
  state: "active",
  ...over,
});
const shards = new Map([["shard-0", { homeHostId: "home" }]]);
const ev = (hash: number, id: string | null = null) => ({ hash, event: { id } });

describe("planWrite", () => {
  it("groups an attempt's events by host and shardlet on the fast path, one group per shardlet", () => {
    const table = RoutingTable.build("s", [route({ id: "a", lo: 0, hi: half }), route({ id: "b", lo: half, hi: HASH_SPACE, hostId: "h2" })]);
    const plan = planWrite([ev(1), ev(half + 1), ev(2)], { table, shards, isLocked: () => false, refused: new Map() });
    expect([...plan.fast.keys()].sort()).toEqual(["h1", "h2"]);
    expect(plan.fast.get("h1")!.get("a")!.map((p) => p.hash)).toEqual([1, 2]);
    expect(plan.overflow.size).toBe(0);
    expect(plan.flagged).toEqual([]);
  });

  it("sends a locked, a changing and a refused-again shardlet's events to their shard's overflow log on its home host", () => {
    const table = RoutingTable.build("s", [
      route({ id: "locked", lo: 0, hi: 100 }),
      route({ id: "moving", lo: 100, hi: 200, state: "migrating" }),
      route({ id: "refused", lo: 200, hi: 300, epoch: 7 }),
      route({ id: "retried", lo: 300, hi: HASH_SPACE, epoch: 8 }),
    ]);
    // "retried" was refused at epoch 7 and its fresh route has epoch 8: the fast path again.
    const refused = new Map([["refused", 7], ["retried", 7]]);
    const plan = planWrite([ev(5), ev(150), ev(250), ev(350)], { table, shards, isLocked: (id) => id === "locked", refused });
    const log = plan.overflow.get("home")!;
    expect([...log.keys()].sort()).toEqual(["locked", "moving", "refused"]);
    expect(log.get("moving")).toEqual({ shardId: "shard-0", group: [ev(150)] });
    expect([...plan.fast.get("h1")!.keys()]).toEqual(["retried"]);
  });

  it("holds back events with ids whose range may be stored elsewhere: the log while flagged, the history a hand-off left", () => {
    const table = RoutingTable.build("s", [
      route({ id: "flagged", lo: 0, hi: 100, overflowPending: true }),
      route({ id: "handed", lo: 100, hi: 200, historyHostIds: ["h0"] }),
      route({ id: "plain", lo: 200, hi: HASH_SPACE }),
    ]);
    const plan = planWrite([ev(5, "x"), ev(6), ev(150, "y"), ev(250, "z")], { table, shards, isLocked: () => false, refused: new Map() });
    expect(plan.flagged.map((f) => [f.id, f.hostIds])).toEqual([
      ["x", ["home"]],
      ["y", ["h0"]],
    ]);
    // Without an id nothing can be re-sent as the same event: straight to the fast path.
    expect(plan.fast.get("h1")!.get("flagged")).toEqual([ev(6)]);
    expect(plan.fast.get("h1")!.get("plain")).toEqual([ev(250, "z")]);
    // What the lookup does not find joins its shardlet's group.
    addFast(plan, plan.flagged[0]!.p, plan.flagged[0]!.route);
    expect(plan.fast.get("h1")!.get("flagged")).toEqual([ev(6), ev(5, "x")]);
  });
});

describe("holdBack", () => {
  it("takes a held shardlet's events off the fast path, and leaves every other one to be written", () => {
    const table = RoutingTable.build("s", [
      route({ id: "a", lo: 0, hi: 100 }),
      route({ id: "b", lo: 100, hi: 200 }),
      route({ id: "c", lo: 200, hi: HASH_SPACE, hostId: "h2" }),
    ]);
    const plan = planWrite([ev(1), ev(150), ev(2), ev(250), ev(151)], { table, shards, isLocked: () => false, refused: new Map() });
    expect(holdBack(plan, () => false)).toEqual([]);
    expect(holdBack(plan, (id) => id === "b" || id === "c").map((p) => p.hash)).toEqual([150, 151, 250]);
    expect([...plan.fast.keys()]).toEqual(["h1"]);
    expect([...plan.fast.get("h1")!.keys()]).toEqual(["a"]);
    expect(plan.fast.get("h1")!.get("a")!.map((p) => p.hash)).toEqual([1, 2]);
  });
});

describe("earlyIdLookups", () => {
  it("names, before any sequence number is taken, the ids the first attempt's plan looks up, on the same hosts", () => {
    const table = RoutingTable.build("s", [
      route({ id: "flagged", lo: 0, hi: 100, overflowPending: true }),
      route({ id: "handed", lo: 100, hi: 200, historyHostIds: ["h0"] }),
      route({ id: "locked", lo: 200, hi: 300, historyHostIds: ["h0"] }),
      route({ id: "moving", lo: 300, hi: 400, state: "migrating", historyHostIds: ["h0"] }),
      route({ id: "plain", lo: 400, hi: HASH_SPACE }),
    ]);
    const events = [ev(5, "x"), ev(6), ev(150, "y"), ev(250, "l"), ev(350, "m"), ev(450, "z")];
    const input = { table, shards, isLocked: (id: string) => id === "locked" };
    expect(table.idsElsewhere).toBe(true);
    const early = earlyIdLookups(events, input);
    const plan = planWrite(events, { ...input, refused: new Map() });
    expect(early).toEqual(plan.flagged.map((f) => ({ id: f.id, hostIds: f.hostIds })));
    expect(early.map((e) => e.id)).toEqual(["x", "y"]);
  });

  it("costs nothing on routes that no change left with history or a pending log", () => {
    const table = RoutingTable.build("s", [route({ id: "a", lo: 0, hi: half }), route({ id: "b", lo: half, hi: HASH_SPACE })]);
    expect(table.idsElsewhere).toBe(false);
    expect(earlyIdLookups([ev(1, "x"), ev(half + 1, "y")], { table, shards, isLocked: () => false })).toEqual([]);
  });
});
