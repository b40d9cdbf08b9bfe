import { createRng, keyPageEnd, pageOf, type StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { storedBytes } from "../src/stored-bytes.ts";

/** An event whose size as the budget counts it is `bytes` (payload JSON, key "k", type "t", no id). */
const event = (seq: number, bytes: number, ts = 0): StoredEvent => ({ streamId: "s", seq, shardletId: "sl", key: "k", id: null, type: "t", ts, payload: "x".repeat(bytes - 4) });

const bytesOf = (events: readonly StoredEvent[]) => events.reduce((n, e) => n + storedBytes(e), 0);

describe("read pages cut by bytes", () => {
  it("ends a page before the event that would pass the budget", () => {
    const events = [1, 2, 3, 4, 5].map((seq) => event(seq, 100));
    expect(bytesOf(events)).toBe(500);
    expect(pageOf(events, 1000, 300).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(pageOf(events, 1000, 299).map((e) => e.seq)).toEqual([1, 2]);
    expect(pageOf(events, 2, 300).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("gives a first event larger than the budget alone, and the whole of its position", () => {
    expect(pageOf([event(1, 500), event(2, 10)], 1000, 100).map((e) => e.seq)).toEqual([1]);
    expect(pageOf([event(1, 500), event(1, 10), event(2, 10)], 1000, 100).map((e) => e.seq)).toEqual([1, 1]);
  });

  it("never ends inside a position, and going on after the last position of each page reads every event once", () => {
    const rng = createRng("read-pages");
    for (let round = 0; round < 200; round++) {
      const events: StoredEvent[] = [];
      for (let seq = 1; seq <= 80; seq++) {
        if (rng.next() < 0.2) continue;
        const copies = rng.next() < 0.1 ? 2 : 1;
        for (let c = 0; c < copies; c++) events.push(event(seq, 5 + rng.int(200)));
      }
      const budget = 50 + rng.int(600);
      const limit = 1 + rng.int(30);
      const read: StoredEvent[] = [];
      let after = 0;
      for (let pages = 0; read.length < events.length; pages++) {
        expect(pages).toBeLessThan(events.length);
        const rest = events.filter((e) => e.seq > after);
        const page = pageOf(rest, limit, budget);
        expect(page.length).toBeGreaterThan(0);
        const whole = page.length === rest.length || page[page.length - 1]!.seq !== rest[page.length]!.seq;
        expect(whole).toBe(true);
        // Over a bound only with its first position alone.
        if (page.length > limit || bytesOf(page) > budget) expect(new Set(page.map((e) => e.seq)).size).toBe(1);
        read.push(...page);
        after = page[page.length - 1]!.seq;
      }
      expect(read).toEqual(events);
    }
  });

  it("cuts a key's page by bytes without parting two events of one time and position", () => {
    const events = [event(1, 100, 5), event(2, 100, 5), event(3, 100, 5), event(3, 100, 5), event(4, 100, 6)];
    expect(keyPageEnd(events, 1000, 250)).toBe(2);
    expect(keyPageEnd(events, 1000, 350)).toBe(2);
    expect(keyPageEnd(events, 1000, 400)).toBe(4);
    expect(keyPageEnd([event(3, 300, 5), event(3, 10, 5), event(4, 10, 6)], 1000, 100)).toBe(2);
    expect(keyPageEnd(events, 1000, 10_000)).toBe(5);
  });
});
