import { createRng, pageOf, type StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { mergePage, type Run } from "../src/cache/position-cache.ts";

const event = (seq: number, key: string): StoredEvent => ({ seq, key, id: `${key}-${seq}`, type: "t", ts: 0, payload: null, shardletId: "s" }) as StoredEvent;

function runOf(part: number, events: StoredEvent[]): Run {
  let i = 0;
  return { part, head: undefined, next: () => events[i++] };
}

describe("mergePage", () => {
  it("gives what sorting every route's events and cutting a page gives, for any limit and reach", () => {
    const rng = createRng("merge-page");
    for (let round = 0; round < 300; round++) {
      const routes = 1 + rng.int(8);
      const lists: StoredEvent[][] = Array.from({ length: routes }, () => []);
      // Positions shared by several events (across routes and within one), gaps, empty routes.
      for (let seq = 1; seq <= 60; seq++) {
        if (rng.next() < 0.3) continue;
        const copies = rng.next() < 0.2 ? 2 + rng.int(3) : 1;
        for (let c = 0; c < copies; c++) {
          const r = rng.int(routes);
          lists[r]!.push(event(seq, `k${r}-${c}`));
        }
      }
      const reach = rng.int(70);
      const limit = 1 + rng.int(12);
      const all = lists.flatMap((l) => l.filter((e) => e.seq <= reach)).sort((a, b) => a.seq - b.seq);
      // Bounded by bytes too, in half the rounds: as the hosts bound a page given the same budget.
      const maxBytes = round % 2 === 0 ? undefined : 20 + rng.int(200);
      const expected = pageOf(all, limit, maxBytes);
      const got = mergePage(lists.map((l, i) => runOf(i, l)), reach, limit, maxBytes);
      expect(got.page.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
      expect(new Set(got.page)).toEqual(new Set(expected));
      expect(got.more).toBe(expected.length < all.length);
      got.page.forEach((e, i) => expect(lists[got.parts[i]!]).toContain(e));
    }
  });
});
