import { describe, expect, it } from "vitest";
import { hostOutlook, type OutlookShardlet } from "../src/placement/outlook.ts";
import { rebalanceSettingsSchema } from "../src/placement/settings.ts";

function sl(id: string, hostId: string, load: number): OutlookShardlet {
  return { id, hostId, load };
}

describe("hostOutlook", () => {
  it("sums each host's shardlets' rise and carries it on for the lead", () => {
    const out = hostOutlook({
      shardlets: [sl("a", "h1", 300), sl("b", "h1", 200), sl("c", "h2", 100)],
      loadWindowAgo: new Map([
        ["a", 200],
        ["b", 150],
        ["c", 100],
      ]),
      leadPerWindow: 2,
    });
    // h1: 500 now, up 150 over the window, twice that ahead. h2 is flat: left out.
    expect([...out]).toEqual([["h1", 800]]);
  });

  it("leaves a falling host out, netting one shardlet's rise against another's fall", () => {
    const out = hostOutlook({
      shardlets: [sl("a", "h1", 400), sl("b", "h1", 100), sl("c", "h2", 260)],
      loadWindowAgo: new Map([
        ["a", 300],
        ["b", 250],
        ["c", 200],
      ]),
      leadPerWindow: 1,
    });
    expect(out.has("h1")).toBe(false);
    expect(out.get("h2")).toBe(320);
  });

  it("counts a shardlet being moved on its destination", () => {
    const out = hostOutlook({
      shardlets: [sl("a", "h1", 300), sl("b", "h2", 100)],
      loadWindowAgo: new Map([
        ["a", 100],
        ["b", 100],
      ]),
      inFlightMoves: new Map([["a", "h2"]]),
      leadPerWindow: 1,
    });
    expect([...out]).toEqual([["h2", 600]]);
  });

  it("counts a shardlet without a load a window ago (split or merged since) as flat", () => {
    const out = hostOutlook({
      shardlets: [sl("a", "h1", 100), sl("new", "h1", 900)],
      loadWindowAgo: new Map([["a", 50]]),
      leadPerWindow: 1,
    });
    // Only a's rise of 50 counts; the new shardlet's load is part of the host's load, not of its rise.
    expect([...out]).toEqual([["h1", 1_050]]);
  });

  it("is off with no lead", () => {
    const out = hostOutlook({ shardlets: [sl("a", "h1", 300)], loadWindowAgo: new Map([["a", 100]]), leadPerWindow: 0 });
    expect(out.size).toBe(0);
  });
});

describe("hostOutlook with the current load measured as the old one is", () => {
  it("takes the rise from the like-for-like measure and adds it to the planned load", () => {
    const out = hostOutlook({
      // Planned at accounting's rates; telemetry reads 10% lower on both sides.
      shardlets: [sl("a", "h1", 330), sl("b", "h1", 110)],
      loadWindowAgo: new Map([
        ["a", 200],
        ["b", 100],
      ]),
      loadNowMeasured: new Map([
        ["a", 300],
        ["b", 100],
      ]),
      leadPerWindow: 1,
    });
    expect([...out]).toEqual([["h1", 540]]);
  });
});

describe("the look-ahead settings", () => {
  it("default to an hour's rise carried on for an hour", () => {
    expect(rebalanceSettingsSchema.parse({})).toMatchObject({ outlookWindowSec: 3_600, outlookLeadSec: 3_600 });
    expect(rebalanceSettingsSchema.parse({ outlookLeadSec: 0 }).outlookLeadSec).toBe(0);
  });

  it("say what is wrong with a window or a lead out of range", () => {
    const messages = (v: object) => (rebalanceSettingsSchema.safeParse(v).error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages({ outlookWindowSec: 300 })).toEqual(["outlookWindowSec: look-ahead window must be at least 600 s (10 min)"]);
    expect(messages({ outlookWindowSec: 3_630 })).toEqual(["outlookWindowSec: look-ahead window must be whole minutes (a multiple of 60 s)"]);
    expect(messages({ outlookLeadSec: -1 })).toEqual(["outlookLeadSec: look-ahead must be at least 0 s (0: off)"]);
    expect(messages({ outlookLeadSec: 90_000 })).toEqual(["outlookLeadSec: look-ahead must be at most 86,400 s (1 day)"]);
  });
});
