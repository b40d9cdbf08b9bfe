import { describe, expect, it } from "vitest";
import { ReadAheadGate, type ReadStart } from "../src/index.ts";

const at = (shardletId: string, after: number): ReadStart => ({ shardletId, cursor: [{ lo: 0, hi: 100, after }] });

describe("the read-ahead gate", () => {
  it("keeps reading ahead while members' next polls start where their read-aheads did", () => {
    const gate = new ReadAheadGate(() => 0);
    for (let i = 0; i < 40; i++) {
      expect(gate.shouldReadAhead()).toBe(true);
      gate.readAhead("m", [at("a", i * 10 + 10), at("b", i * 10 + 10)]);
      // The poll lists its parts in another order: where it starts is what counts.
      gate.polled("m", [at("b", i * 10 + 10), at("a", i * 10 + 10)]);
    }
    expect(gate.usedShare()).toBe(1);
  });

  it("stops when the next polls start elsewhere or go to other edges, probes one poll in eight, and opens again when they come back", () => {
    let now = 0;
    const gate = new ReadAheadGate(() => now);
    // Every second poll of the member comes here (a balancer spreading requests over two edges), starting further on.
    for (let i = 0; i < 16; i++) {
      gate.readAhead("m", [at("a", i * 20 + 10)]);
      gate.polled("m", [at("a", i * 20 + 20)]);
    }
    expect(gate.usedShare()).toBe(0);
    expect(gate.open()).toBe(false);
    const decisions = Array.from({ length: 16 }, () => gate.shouldReadAhead());
    expect(decisions.filter(Boolean)).toHaveLength(2);
    // A read-ahead whose member never polls this edge again counts as unused once 30 s passed.
    gate.readAhead("gone", [at("a", 0)]);
    now += 31_000;
    gate.polled("other", [at("a", 0)]);
    expect(gate.usedShare()).toBe(0);
    // Polls come back to this edge, where the read-aheads started (the probes find it out).
    for (let i = 0; i < 32; i++) {
      gate.readAhead("m", [at("a", 1_000 + i)]);
      gate.polled("m", [at("a", 1_000 + i)]);
    }
    expect(gate.open()).toBe(true);
    expect(gate.shouldReadAhead()).toBe(true);
  });

  it("reads ahead only for members whose work on a page outlasts a read, once a read was timed", () => {
    const gate = new ReadAheadGate(() => 0);
    // Nothing timed yet: a read-ahead is made (and times a read).
    expect(gate.shouldReadAhead(0)).toBe(true);
    expect(gate.readDurationMs()).toBeNull();
    gate.readTook(20);
    expect(gate.shouldReadAhead(0)).toBe(false);
    expect(gate.shouldReadAhead(20)).toBe(false);
    expect(gate.shouldReadAhead(25)).toBe(true);
    // A member that says nothing is read ahead for, as before.
    expect(gate.shouldReadAhead()).toBe(true);
    // The estimate follows the reads: faster ones bring it down, one at a time.
    for (let i = 0; i < 20; i++) gate.readTook(5);
    expect(gate.readDurationMs()!).toBeLessThan(6);
    expect(gate.shouldReadAhead(10)).toBe(true);
    gate.readTook(Number.NaN);
    gate.readTook(-1);
    expect(gate.readDurationMs()!).toBeLessThan(6);
  });
});
