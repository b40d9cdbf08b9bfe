import { describe, expect, it } from "vitest";
import { checkpointReason, eventShardlets, refIds } from "../src/app/(console)/streams/[name]/consumers/shardlet-refs.ts";

const range = (loHex: string, lastHex: string) => ({ lo: 0, hi: 0, loHex, lastHex, startPct: 0, widthPct: 0 });
const parent = { id: "cm0000000000parentaaaa", range: range("0x00000000", "0x7fffffff") };
const sibling = { id: "cm0000000000siblingbbb", range: range("0x80000000", "0xffffffff") };
const pruned = { id: "cm0000000000prunedcccc", range: null };

describe("checkpointReason", () => {
  it("names the shardlets a split or merge handed on by their hash ranges, not the ids the stored reason has", () => {
    expect(checkpointReason({ trigger: "lineage", reason: `handed on from ${parent.id}`, handedOnFrom: [parent] })).toBe("handed on from 0x00000000–0x7fffffff");
    expect(checkpointReason({ trigger: "lineage", reason: `handed on from ${parent.id} + ${sibling.id}`, handedOnFrom: [parent, sibling] })).toBe(
      "handed on from 0x00000000–0x7fffffff + 0x80000000–0xffffffff",
    );
  });

  it("falls back to the id's tail for a parent the control database pruned", () => {
    expect(checkpointReason({ trigger: "lineage", reason: `handed on from ${pruned.id}`, handedOnFrom: [pruned] })).toBe("handed on from …unedcccc");
  });

  it("keeps the stored reason of other checkpoints and of a first assignment", () => {
    expect(checkpointReason({ trigger: "lineage", reason: "first assignment", handedOnFrom: [] })).toBe("first assignment");
    expect(checkpointReason({ trigger: "interval", reason: "fixed interval of 1 s elapsed", handedOnFrom: [] })).toBe("fixed interval of 1 s elapsed");
  });
});

describe("eventShardlets", () => {
  it("lists the ranges an event moved and counts the ones left out", () => {
    expect(eventShardlets([parent, sibling], 2)).toBe("0x00000000–0x7fffffff, 0x80000000–0xffffffff");
    expect(eventShardlets([parent], 3)).toBe("0x00000000–0x7fffffff and 2 more");
    expect(eventShardlets([], 0)).toBe("");
  });

  it("keeps the ids for the tooltip", () => {
    expect(refIds([parent, sibling])).toBe(`shardlet ${parent.id}\nshardlet ${sibling.id}`);
  });
});
