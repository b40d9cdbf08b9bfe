import { describe, expect, it } from "vitest";
import { patchRoutes } from "../src/route-patch.ts";
import { RoutingTable } from "../src/routing.ts";
import { HASH_SPACE, type ShardletRoute } from "../src/types.ts";

const STREAM = "st";
const HALF = HASH_SPACE / 2;
const QUARTER = HASH_SPACE / 4;

function route(id: string, lo: number, hi: number, extra: Partial<ShardletRoute> = {}): ShardletRoute {
  return { id, streamId: STREAM, shardId: "sh", lo, hi, hostId: "h1", epoch: 1, state: "active", ...extra };
}

const table = () => RoutingTable.build(STREAM, [route("a", 0, HALF), route("b", HALF, HASH_SPACE)]);
const NONE: ReadonlySet<string> = new Set();

function applied(result: ReturnType<typeof patchRoutes>): RoutingTable {
  if (typeof result === "string") throw new Error(`patch refused: ${result}`);
  return result;
}

describe("patchRoutes", () => {
  it("replaces a split source by its children, leaving the other routes as they were", () => {
    const t = applied(patchRoutes(table(), { retire: ["a"], routes: [route("a1", 0, QUARTER, { overflowPending: true }), route("a2", QUARTER, HALF, { overflowPending: true })] }, NONE));
    expect(t.all().map((r) => r.id)).toEqual(["a1", "a2", "b"]);
    expect(t.byId("a")).toBeUndefined();
    expect(t.lookup(QUARTER).id).toBe("a2");
    expect(t.byId("a1")!.overflowPending).toBe(true);
    expect(t.byId("b")).toEqual(table().byId("b"));
  });

  it("hands a range off to a successor on another host with the source's host as history", () => {
    const t = applied(patchRoutes(table(), { retire: ["b"], routes: [route("c", HALF, HASH_SPACE, { hostId: "h2", historyHostIds: ["h1"] })] }, NONE));
    expect(t.lookup(HALF + 1)).toMatchObject({ id: "c", hostId: "h2", historyHostIds: ["h1"] });
  });

  it("updates a route in place (a drain cleared its flag)", () => {
    const flagged = applied(patchRoutes(table(), { retire: [], routes: [route("a", 0, HALF, { overflowPending: true })] }, NONE));
    const cleared = applied(patchRoutes(flagged, { retire: [], routes: [route("a", 0, HALF)] }, NONE));
    expect(flagged.byId("a")!.overflowPending).toBe(true);
    expect(cleared.byId("a")!.overflowPending).toBeUndefined();
  });

  it("refuses a patch that routes a shardlet a later change already retired", () => {
    // A hand-off a -> c, then c -> d; d's announcement arrives first.
    const later = applied(patchRoutes(table(), { retire: ["c", "a"], routes: [route("d", 0, HALF)] }, NONE));
    expect(patchRoutes(later, { retire: ["a"], routes: [route("c", 0, HALF)] }, new Set(["c", "a"]))).toBe("stale");
  });

  it("refuses a patch made against other routes instead of leaving a gap or an overlap", () => {
    // Children of a shardlet this edge does not have: they would overlap "a".
    expect(patchRoutes(table(), { retire: ["x"], routes: [route("x1", 0, QUARTER), route("x2", QUARTER, HALF)] }, NONE)).toBe("mismatch");
    // A merge's child that covers less than what it retires.
    expect(patchRoutes(table(), { retire: ["a", "b"], routes: [route("m", 0, HALF)] }, NONE)).toBe("mismatch");
    expect(patchRoutes(table(), { retire: [], routes: [route("a", 0, HALF, { streamId: "other" })] }, NONE)).toBe("mismatch");
  });
});
