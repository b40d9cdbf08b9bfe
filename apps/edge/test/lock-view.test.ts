import { describe, expect, it } from "vitest";
import { createLogger } from "@shardcast/runtime";
import { LockView } from "../src/lock-view.ts";

/** A list call the test answers by hand, to order it against lock messages. */
function heldList() {
  const calls: Array<(ids: string[]) => void> = [];
  const list = () => new Promise<string[]>((resolve) => calls.push(resolve));
  return { list, answer: (i: number, ids: string[]) => calls[i]!(ids) };
}

describe("LockView", () => {
  it("keeps a lock announced while a resync's list was in flight, and the unlock that followed another", async () => {
    const held = heldList();
    const view = new LockView(held.list, createLogger({}, { level: "error" }));
    view.apply("b", true);
    const resync = view.resync();
    // The list was read before "a" was locked and before "b" was unlocked.
    view.apply("a", true);
    view.apply("b", false);
    held.answer(0, ["b"]);
    await resync;
    expect(view.has("a")).toBe(true);
    expect(view.has("b")).toBe(false);
  });

  it("drops a lock that expired silently once a resync's list no longer has it", async () => {
    const held = heldList();
    const view = new LockView(held.list, createLogger({}, { level: "error" }));
    view.apply("a", true);
    const resync = view.resync();
    held.answer(0, []);
    await resync;
    expect(view.has("a")).toBe(false);
  });

  it("holds a release back until the announced route reloads answered, and a lock that came meanwhile wins", async () => {
    const view = new LockView(() => Promise.resolve([]), createLogger({}, { level: "error" }));
    let reloaded!: () => void;
    const reload = new Promise<void>((resolve) => (reloaded = resolve));
    view.apply("a", true);
    view.apply("b", true);
    view.releaseAfter("a", reload);
    view.releaseAfter("b", reload);
    // "b" is locked again (by the next job) before the reload answers: its deferred release is stale.
    view.apply("b", false);
    view.apply("b", true);
    expect(view.has("a")).toBe(true);
    reloaded();
    await reload;
    await Promise.resolve();
    expect(view.has("a")).toBe(false);
    expect(view.has("b")).toBe(true);
  });

  it("keeps a lock's hold until it runs out or the lock goes, and wakes waiting writes at every change", async () => {
    let now = 1_000;
    const view = new LockView(() => Promise.resolve(["a"]), createLogger({}, { level: "error" }), () => now);
    view.apply("a", true, 200);
    view.apply("b", true);
    expect(view.anyHeld()).toBe(true);
    expect([...view.heldShardlets()]).toEqual(["a"]);
    expect(view.heldUntil("a")).toBe(1_200);
    expect(view.heldUntil("b")).toBeUndefined();
    // A waiting write wakes at the release, long before its wait would end.
    const woken = view.changed(60_000);
    expect(view.waiting).toBe(1);
    view.apply("a", false);
    await woken;
    expect(view.waiting).toBe(0);
    expect(view.heldUntil("a")).toBeUndefined();
    expect(view.anyHeld()).toBe(false);
    // New routes wake it too (a hand-off announces its switch before it lets the lock go).
    view.apply("c", true, 200);
    const rerouted = view.changed(60_000);
    view.routesChanged();
    await rerouted;
    expect(view.heldUntil("c")).toBe(1_200);
    view.apply("c", false);
    // A hold that ran out is forgotten; a resync drops the holds of locks it no longer lists.
    view.apply("a", true, 200);
    now = 1_300;
    expect(view.heldUntil("a")).toBeUndefined();
    view.apply("b", true, 500);
    now = 1_400;
    const resynced = view.changed(60_000);
    await view.resync();
    await resynced;
    expect(view.heldUntil("b")).toBeUndefined();
    expect(view.anyHeld()).toBe(false);
  });
});
