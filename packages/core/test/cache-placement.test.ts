import { describe, expect, it } from "vitest";
import { archiveExposed, archiveReward, decidePlacement, parsePlacementSettings, PlacementBandit, placementContext, type ShardletPlacementState } from "../src/index.ts";

const settings = parsePlacementSettings({ minArchiveBytes: 1000, leaveReward: 0.33 });
const state = (o: Partial<ShardletPlacementState> = {}): ShardletPlacementState => ({
  shardletId: "s-1",
  reads: 0,
  groups: 0,
  lowestPosition: null,
  lowestRead: null,
  archivableBytes: 10_000,
  archiveUpTo: 1_000,
  archivedEvents: 0,
  archivedBytes: 0,
  archivedMaxSeq: null,
  ...o,
});

describe("placement bandit policy", () => {
  it("tries archive first, then keeps archiving where it saved more than the bar", () => {
    const bandit = new PlacementBandit({ exploration: 0.5 });
    const first = decidePlacement(bandit, [state()], new Set(), settings);
    expect(first).toMatchObject([{ arm: "archive", context: "reads:none groups:none" }]);
    // Nobody came back: the measured saving is the reward.
    bandit.reward(first[0]!.context, "archive", archiveReward({ shardletId: "s-1", context: first[0]!.context, rawBytes: 10_000, storedBytes: 2_000, at: 0 }, state({ archivedMaxSeq: 50 })));
    for (let i = 0; i < 10; i++) {
      const d = decidePlacement(bandit, [state({ shardletId: `s-${i + 2}` })], new Set(), settings);
      if (d[0]!.arm === "archive") bandit.reward(d[0]!.context, "archive", 0.8);
    }
    expect(decidePlacement(bandit, [state({ shardletId: "s-x" })], new Set(), settings)[0]!.arm).toBe("archive");
  });

  it("learns to leave a class whose archives readers keep coming back for", () => {
    const bandit = new PlacementBandit({ exploration: 0.5 });
    const ctx = placementContext({ reads: 3, groups: 1 });
    const arms: string[] = [];
    for (let i = 0; i < 30; i++) {
      const d = decidePlacement(bandit, [state({ shardletId: `s-${i}`, reads: 3, groups: 1, lowestPosition: 100 })], new Set(), settings)[0]!;
      arms.push(d.arm);
      // Each archive was replayed by a lagging group: reward 0.
      if (d.arm === "archive") bandit.reward(ctx, "archive", archiveReward({ shardletId: d.shardletId, context: ctx, rawBytes: 10_000, storedBytes: 2_000, at: 0 }, state({ groups: 1, lowestPosition: 10, archivedMaxSeq: 90 })));
    }
    // UCB keeps exploring at a logarithmic rate: archive is retried ever more rarely.
    expect(arms.filter((a) => a === "archive").length).toBeLessThanOrEqual(6);
    expect(arms.slice(-10).filter((a) => a === "archive").length).toBeLessThanOrEqual(1);
    // Another class is unaffected by what this one learnt.
    expect(decidePlacement(bandit, [state({ shardletId: "other" })], new Set(), settings)[0]!.arm).toBe("archive");
  });

  it("restores an archive a reader needs, and skips small or pending shardlets", () => {
    const bandit = new PlacementBandit();
    const exposed = state({ shardletId: "lagging", groups: 1, lowestPosition: 10, archivedMaxSeq: 90, archivedEvents: 80 });
    expect(archiveExposed(exposed)).toBe(true);
    expect(archiveExposed(state({ groups: 1, lowestPosition: 95, archivedMaxSeq: 90 }))).toBe(false);
    const d = decidePlacement(bandit, [exposed, state({ shardletId: "small", archivableBytes: 10 }), state({ shardletId: "pending" })], new Set(["pending"]), settings);
    expect(d).toEqual([expect.objectContaining({ shardletId: "lagging", arm: "restore" })]);
    expect(d[0]!.reason).toMatch(/position 10, below the archived 90/);
  });

  it("tells readers of recent events from readers of archived rows by the lowest position read", () => {
    const archived = { archivedMaxSeq: 90, archivedEvents: 80, archivableBytes: 0 };
    expect(archiveExposed(state({ ...archived, reads: 5, lowestRead: 91 }))).toBe(false);
    expect(archiveExposed(state({ ...archived, reads: 5, lowestRead: 90 }))).toBe(true);
    // Positions unknown (counted by an edge that does not report them): any read of a shardlet no group follows.
    expect(archiveExposed(state({ ...archived, reads: 5 }))).toBe(true);
    expect(archiveExposed(state({ ...archived, reads: 5, groups: 1, lowestPosition: 95 }))).toBe(false);
    // The groups are past the archive, but another reader went back into it.
    expect(archiveExposed(state({ ...archived, reads: 5, groups: 1, lowestPosition: 95, lowestRead: 3 }))).toBe(true);
    const d = decidePlacement(new PlacementBandit(), [state({ shardletId: "report", ...archived, reads: 5, lowestRead: 12 }), state({ shardletId: "tail", ...archived, reads: 5, lowestRead: 120 })], new Set(), settings);
    expect(d).toEqual([expect.objectContaining({ shardletId: "report", arm: "restore" })]);
    expect(d[0]!.reason).toMatch(/read at position 12, at or below the archived 90/);
  });

  it("rewards an archive by the bytes it saved, and nothing when it was read back", () => {
    const p = { shardletId: "s-1", context: "c", rawBytes: 1000, storedBytes: 250, at: 0 };
    expect(archiveReward(p, state({ archivedMaxSeq: 10 }))).toBeCloseTo(0.75);
    expect(archiveReward(p, state({ reads: 2, archivedMaxSeq: 10 }))).toBe(0);
    expect(() => parsePlacementSettings({ leaveReward: 2 })).toThrow(/between 0 and 1/);
  });
});
