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
});
