import { describe, expect, it } from "vitest";
import {
  HOT_KEY_SHARE,
  keyHash,
  mergeProfileData,
  planOrchestration,
  PROFILE_TOP_ITEMS,
  ShardletProfile,
  shardletHealth,
  summarizeProfile,
  type ProfileSummary,
} from "../src/index.ts";
import { healthInputBase, orchestratorInput } from "./orchestrator-fixtures.ts";

function observe(p: ShardletProfile, key: string): void {
  p.observe(key, {}, 100, keyHash(key) / 2 ** 32, []);
}

/** Writes at the split write rate: skew weighs fully, so any share on the hottest key shows in the score. */
const busy = { ...healthInputBase, writeRate: 5000 };

/** One overloaded shardlet (writes past the split rate) with room to split, next to a healthy one. */
function orchestrate(summary: ProfileSummary): ReturnType<typeof planOrchestration> {
  return planOrchestration(orchestratorInput(summary, shardletHealth({ ...busy, writeRate: 5500, profile: summary })));
}

describe("a shardlet's hottest keys", () => {
  it("gives a hot key about its true share and nearly distinct keys tiny shares, across merged edges", () => {
    // Two edges: distinct keys first (every counter fills with inherited counts), then a key that
    // takes 40% of the rest, so it is monitored late and carries error.
    const a = new ShardletProfile();
    const b = new ShardletProfile();
    let hot = 0;
    for (let i = 0; i < 6_000; i++) {
      const key = i >= 2_000 && i % 5 < 2 ? "celebrity" : `user-${i}`;
      if (key === "celebrity") hot++;
      observe(i % 2 === 0 ? a : b, key);
    }
    const s = summarizeProfile(mergeProfileData([a.toData(), b.toData()]));
    const trueShare = hot / 6_000;
    expect(s.topKeys[0]!.key).toBe("celebrity");
    // Never above the true share, and below it by at most the sketch's error (sampled / counters).
    expect(s.topKeyShare).toBeLessThanOrEqual(trueShare);
    expect(s.topKeyShare).toBeGreaterThan(trueShare - 1 / PROFILE_TOP_ITEMS);
    // Every other key was written once.
    for (const k of s.topKeys.slice(1)) expect(k.share).toBeLessThanOrEqual(1 / 6_000);
    expect(s.topKeys.map((k) => k.share)).toEqual([...s.topKeys.map((k) => k.share)].sort((x, y) => y - x));
  });

  it("finds no hot key among nearly distinct keys: no skew penalty and no salting advice", () => {
    const p = new ShardletProfile();
    for (let i = 0; i < 4_000; i++) observe(p, `order-${Math.floor(i / 2)}`);
    const s = summarizeProfile(p);
    // Each key was written twice at most.
    expect(s.topKeyShare).toBeLessThanOrEqual(2 / 4_000);
    const h = shardletHealth({ ...busy, writeRate: 2000, profile: s });
    // The score's only dent is the key written twice: nothing near what a hot key costs.
    expect(h.components.find((c) => c.name === "key_skew")!.score).toBeGreaterThan(0.99);
    expect(h.score).toBeGreaterThan(0.99);

    const actions = orchestrate(s);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.kind).toBe("split");
  });

  it("does not call a key hot on the share it may have inherited", () => {
    // Just under half the writes are one key, which arrives after half the events were distinct:
    // its upper bound (true count plus the counter it took over) crosses HOT_KEY_SHARE.
    const p = new ShardletProfile();
    let hot = 0;
    for (let i = 0; i < 4_000; i++) {
      const key = i >= 2_000 && i % 20 !== 0 ? "celebrity" : `user-${i}`;
      if (key === "celebrity") hot++;
      observe(p, key);
    }
    expect(hot / 4_000).toBeLessThan(HOT_KEY_SHARE);
    const s = summarizeProfile(p);
    expect(s.topKeyShare).toBeLessThan(HOT_KEY_SHARE);
    const actions = orchestrate(s);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.kind).toBe("split");
  });
});
