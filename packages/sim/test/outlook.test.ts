import { describe, expect, it } from "vitest";
import type { PolicyView, SimShardlet } from "../src/engine/types.ts";
import { HostOutlook } from "../src/policies/outlook.ts";

type View = Pick<PolicyView, "shardlets" | "inFlightMoves">;

function view(loads: Record<string, [host: string, load: number]>, inFlight: Record<string, string> = {}): View {
  const shardlets = Object.entries(loads).map(([id, [hostId, load]]) => ({ id, hostId, load }) as unknown as SimShardlet);
  return { shardlets, inFlightMoves: new Map(Object.entries(inFlight)) };
}

describe("HostOutlook", () => {
  it("carries a host's rise over the window on for the lead, and leaves flat and falling hosts out", () => {
    // 5-minute ticks, a 10-minute window (2 ticks), a 20-minute lead: twice the window's rise.
    const o = new HostOutlook(5, 10, 20);
    expect(o.next(view({ a: ["h1", 100], b: ["h1", 50], c: ["h2", 300] })).size).toBe(0);
    expect(o.next(view({ a: ["h1", 150], b: ["h1", 50], c: ["h2", 250] })).size).toBe(0);
    const out = o.next(view({ a: ["h1", 200], b: ["h1", 50], c: ["h2", 200] }));
    // h1: 250 now, up 100 on the window: 250 + 2 x 100. h2 fell: no outlook.
    expect([...out]).toEqual([["h1", 450]]);
  });

  it("does not take a migration that lands for a trend, and nets one shardlet's rise against another's fall", () => {
    const o = new HostOutlook(5, 5, 5);
    o.next(view({ a: ["h1", 100], b: ["h2", 100], c: ["h2", 100] }));
    // a moved from h1 to h2 (in flight: planned on h2) at an unchanged load; b rose, c fell as much.
    expect(o.next(view({ a: ["h1", 100], b: ["h2", 160], c: ["h2", 40] }, { a: "h2" })).size).toBe(0);
  });
});
