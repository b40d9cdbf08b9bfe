import type { StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { keepJson } from "../src/cache/event-json.ts";
import { pageJson } from "../src/http/page-json.ts";

/** A page written from its events' kept texts is `JSON.stringify` of the page, or not written at all. */

const texts = ['"quoted" \\ back', "\u2028\u2029", "ключ 🔑", "\u0001\n\t", "</script>"];

function ev(seq: number, text: string): StoredEvent {
  return { streamId: "s", seq, shardletId: `sl ${text}`, key: `k ${text}`, id: seq % 2 ? null : `id ${text}`, type: seq % 3 ? `t ${text}` : null, ts: 1_700_000_000_000 + seq / 8, payload: { text, [text]: [text, seq, null, { deep: text }], n: 1e21 } };
}

const events = texts.map((t, i) => ev(i + 1, t));
for (const e of events) keepJson(e);

describe("pageJson", () => {
  it("writes the bytes JSON.stringify writes, whatever the other fields and their order", () => {
    for (const page of [
      { events, watermark: 9, next: 5 },
      { events, next: 5, watermark: 9 },
      { events: events.slice(0, 1), next: 1, watermark: 1, cache: undefined },
      { events: [], next: 0, watermark: 0 },
      { events },
      { events, label: 'a "label" é', at: { x: [1, 2] } },
    ]) {
      const written = pageJson(page);
      expect(written).not.toBeNull();
      expect(written!.equals(Buffer.from(JSON.stringify(page)))).toBe(true);
    }
  });

  it("writes nothing when an event's text was not kept or `events` is not the first field", () => {
    const other = ev(99, "not cached");
    expect(pageJson({ events: [...events, other] })).toBeNull();
    const reordered = { next: 1, events };
    expect(pageJson(reordered)).toBeNull();
  });
});
