import { describe, expect, it } from "vitest";
import { AnnouncedReads } from "../src/cache/announced-reads.ts";

/** Which announced reads the edge acts on: those whose reads keep coming through it. */

const STEP = 10_000;

describe("AnnouncedReads", () => {
  it("stops prefetching a pair whose announced reads never come here, and keeps one whose reads do", () => {
    const a = new AnnouncedReads();
    const x = { p: 0.6, lagSteps: 1 };
    let now = 0;
    const acted = { read: 0, unread: 0 };
    for (let i = 0; i < 10; i++) {
      if (a.announce("s", "order", "read", x, 0.5, STEP, now)) acted.read++;
      if (a.announce("s", "order", "unread", x, 0.5, STEP, now)) acted.unread++;
      a.read("s", "read", now + STEP);
      now += 3 * STEP;
      a.expire(now);
    }
    expect(acted.read).toBe(10);
    // At p 0.6 with a prior worth four announcements, the first miss already drops it under 0.5.
    expect(acted.unread).toBe(1);
    // The prediction acted on carries the pair's precision here, and the due time of the map's lag.
    const pr = a.announce("s", "order", "read", x, 0.5, STEP, now);
    expect(pr?.p).toBeGreaterThan(0.85);
    expect(pr?.dueAt).toBe(now + STEP);
    // Streams are apart: the same names on another stream start from the map's p.
    expect(a.announce("t", "order", "unread", x, 0.5, STEP, now)?.p).toBe(0.6);
  });
});
