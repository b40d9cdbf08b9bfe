import type { StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { keepJson } from "../src/cache/event-json.ts";
import { answerJson } from "../src/http/answer-json.ts";

/** An answer written from its events' kept texts is `JSON.stringify` of the answer, or not written at all. */

const texts = ['"quoted" \\ back', "\u2028\u2029", "ключ 🔑", "\u0001\n\t", "</script>"];

function ev(seq: number, text: string): StoredEvent {
  return { streamId: "s", seq, shardletId: `sl ${text}`, key: `k ${text}`, id: seq % 2 ? null : `id ${text}`, type: seq % 3 ? `t ${text}` : null, ts: 1_700_000_000_000 + seq / 8, payload: { text, [text]: [text, seq, null, { deep: text }], n: 1e21 } };
}

const events = texts.map((t, i) => ev(i + 1, t));
for (const e of events) keepJson(e);

function same(value: unknown): void {
  const written = answerJson(value);
  expect(written).not.toBeNull();
  expect(written!.toString("utf8")).toBe(JSON.stringify(value));
}

describe("answerJson", () => {
  it("writes the bytes JSON.stringify writes for pages, whatever the other fields and their order", () => {
    for (const page of [
      { events, watermark: 9, next: 5 },
      { next: 5, events, watermark: 9 },
      { events: events.slice(0, 1), next: 1, watermark: 1, cache: undefined },
      { events },
      { events, label: 'a "label" é', at: { x: [1, 2] } },
    ])
      same(page);
  });

  it("writes a poll's batches, events the cache never held among them, as JSON.stringify does", () => {
    const fromHost = ev(99, "not cached");
    same({
      assignments: [{ shardletId: "a", generation: 2, position: 7 }],
      batches: [
        { shardletId: "a", generation: 2, events: [events[0], fromHost, events[1]], next: 9 },
        { shardletId: "b", generation: 1, events: [], next: 3 },
      ],
      snapshot: [{ shardletId: "a", at: new Date(1_700_000_000_000), note: undefined }],
      watermark: 9,
      heartbeatIntervalMs: 1000,
      skipped: [undefined, () => 1, null, Number.NaN, -0, Infinity],
      bare: Object.assign(Object.create(null) as object, { x: 1, y: undefined }),
      custom: { toJSON: () => "custom" },
      map: new Map([[1, 2]]),
    });
  });

  it("matches JSON.stringify on random answers around kept events", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const leaf = (): unknown => [null, true, 0, -1.5, 1e-7, "s", texts[Math.floor(rand() * texts.length)], undefined, events[Math.floor(rand() * events.length)]][Math.floor(rand() * 9)];
    const build = (depth: number): unknown => {
      if (depth === 0 || rand() < 0.3) return leaf();
      if (rand() < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => build(depth - 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) o[`${texts[i % texts.length]}${Math.floor(rand() * 10)}`] = build(depth - 1);
      return o;
    };
    let checked = 0;
    for (let i = 0; i < 300; i++) {
      const value = { events: [events[i % events.length]], rest: build(4) };
      same(value);
      checked++;
    }
    expect(checked).toBe(300);
  });

  it("writes nothing when no event in the answer has a kept text", () => {
    expect(answerJson({ events: [ev(98, "not cached")], next: 1 })).toBeNull();
    expect(answerJson({ batches: [] })).toBeNull();
    expect(answerJson("text")).toBeNull();
  });
});
