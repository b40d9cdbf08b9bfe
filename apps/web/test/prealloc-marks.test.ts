import { describe, expect, it } from "vitest";
import { describeMark, preallocMarks } from "../src/app/(console)/heatmap/prealloc-marks.ts";
import type { Preallocation } from "../src/lib/prealloc.ts";

const NOW = Date.parse("2030-01-01T12:00:00Z");

function prealloc(p: Partial<Preallocation> & Pick<Preallocation, "id" | "shardletId" | "state">): Preallocation {
  return { streamId: "st", probability: 0.8, cause: "campaign_started", parts: [], hotPartId: null, reason: "", message: "", startedAt: new Date(NOW - 60_000), releaseAtMs: NOW + 60_000, ...p };
}

describe("pre-allocation marks on the heatmap", () => {
  it("marks the predicted shardlet and its parts, the newest pre-allocation winning", () => {
    const marks = preallocMarks(
      [
        prealloc({ id: "new", shardletId: "parent", state: "prepared", parts: ["left-part", "right-part"], hotPartId: "right-part" }),
        prealloc({ id: "old", shardletId: "right-part", state: "hit", startedAt: new Date(NOW - 120_000) }),
      ],
      NOW - 600_000,
    );
    expect([...marks.entries()].map(([id, m]) => [id, m.id, m.role])).toEqual([
      ["parent", "new", "predicted"],
      ["left-part", "new", "part"],
      ["right-part", "new", "hot part"],
    ]);
  });

  it("keeps open pre-allocations whatever their age and settled ones only within the map's window", () => {
    const old = new Date(NOW - 3_600_000);
    const marks = preallocMarks(
      [
        prealloc({ id: "open", shardletId: "a", state: "preparing", startedAt: old }),
        prealloc({ id: "wasted-old", shardletId: "b", state: "released", startedAt: old }),
        prealloc({ id: "wasted-new", shardletId: "c", state: "released" }),
      ],
      NOW - 600_000,
    );
    expect([...marks.keys()]).toEqual(["a", "c"]);
  });

  it("says what was predicted, what was prepared and how it ended", () => {
    const [mark] = preallocMarks([prealloc({ id: "p", shardletId: "s", state: "hit", parts: ["part-aaaaaaaa1", "part-bbbbbbbb2"], hotPartId: "part-bbbbbbbb2" })], 0).values();
    const text = describeMark(mark!);
    expect(text).toContain("surge predicted at 80% after campaign_started");
    expect(text).toContain("Prepared: parts …aaaaaaa1, …bbbbbbb2; …bbbbbbb2 takes the surge");
    expect(text).toContain("hit: the surge used the prepared part");
  });
});
