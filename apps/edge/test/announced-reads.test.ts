import { describe, expect, it } from "vitest";
import { AnnouncedReads } from "../src/cache/announced-reads.ts";

/** Which announced reads the edge acts on: those whose reads keep coming through it. */

const STEP = 10_000;
const never = Infinity;
const half = 0.5;

describe("AnnouncedReads", () => {
  it("stops prefetching a pair whose announced reads never come here, and keeps one whose reads do", () => {
    const a = new AnnouncedReads();
    const x = { p: 0.6, lagSteps: 1 };
    let now = 0;
    const acted = { read: 0, unread: 0 };
    for (let i = 0; i < 10; i++) {
      // One shardlet per announcement: nothing to wait for, each is judged on its own.
      if (a.announce("s", "order", { read: x }, 0.5, STEP, now).now.length > 0) acted.read++;
      if (a.announce("s", "refund", { unread: x }, 0.5, STEP, now).now.length > 0) acted.unread++;
      a.read("s", "read", "c", now + STEP, never);
      now += 3 * STEP;
      a.expire(now);
    }
    expect(acted.read).toBe(10);
    // At p 0.6 with a prior worth four announcements, the first miss already drops it under 0.5.
    expect(acted.unread).toBe(1);
    // The prediction acted on carries the pair's precision here, and the due time of the map's lag.
    const pr = a.announce("s", "order", { read: x }, 0.5, STEP, now).now[0];
    expect(pr?.p).toBeGreaterThan(0.85);
    expect(pr?.dueAt).toBe(now + STEP);
    expect(pr?.key).toBe("s\tread");
    // Streams are apart: the same names on another stream start from the map's p.
    expect(a.announce("t", "refund", { unread: x }, 0.5, STEP, now).now[0]?.p).toBe(0.6);
  });

  it("fetches the rest of an announcement once its predicted reader has read one of its shardlets", () => {
    const a = new AnnouncedReads();
    const row = { a: { p: 0.7, lagSteps: 2, target: "c1" }, b: { p: 0.7, lagSteps: 2, target: "c1" }, c: { p: 0.7, lagSteps: 2, target: "c1" } };
    const first = a.announce("s", "order", row, 0.5, STEP, 0);
    // Nothing is fetched at the announcement; all three keep their prediction (a cached one stays).
    expect(first.now).toEqual([]);
    expect(first.predicted.map((p) => p.shardletId).sort()).toEqual(["a", "b", "c"]);
    // A read by another client confirms nothing.
    expect(a.read("s", "a", "c2", 1.5 * STEP, half)).toEqual([]);
    // The predicted reader's first read brings the other two, due now, until the announcement's end.
    const confirmed = a.read("s", "b", "c1", 2 * STEP, half);
    expect(confirmed.map((c) => c.key).sort()).toEqual(["s\tc"]);
    expect(confirmed[0]).toMatchObject({ shardletId: "c", dueAt: 2 * STEP, until: 3 * STEP, target: "c1" });
    // `a` was read already (by c2), so only `c` is left; a second read confirms nothing more.
    expect(a.read("s", "c", "c1", 2.2 * STEP, half)).toEqual([]);
  });

  it("prefetches at the announcement again once a type's reads are seen to come apart", () => {
    const a = new AnnouncedReads();
    const row = { a: { p: 0.7, lagSteps: 1, target: "c1" }, b: { p: 0.7, lagSteps: 1, target: "c1" }, c: { p: 0.7, lagSteps: 1, target: "c1" } };
    let now = 0;
    const atAnnouncement: number[] = [];
    for (let i = 0; i < 12; i++) {
      atAnnouncement.push(a.announce("s", "order", row, 0.5, STEP, now).now.length);
      // Each announcement, two of its three shardlets are read, another pair each time: each is read
      // two times in three, and once one is read, the other two are read one time in two.
      const names = ["a", "b", "c"];
      a.read("s", names[i % 3]!, "c1", now + STEP, half);
      a.read("s", names[(i + 1) % 3]!, "c1", now + 1.5 * STEP, half);
      now += 3 * STEP;
      a.expire(now);
    }
    expect(atAnnouncement[0]).toBe(0);
    // One read tells less than the pairs' own precision here: waiting for it would lose the reads before it.
    expect(atAnnouncement.at(-1)).toBe(3);
  });
});
