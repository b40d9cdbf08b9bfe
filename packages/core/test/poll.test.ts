import { describe, expect, it } from "vitest";
import { pollUntil } from "../src/poll.ts";

describe("pollUntil", () => {
  it("returns the first truthy answer, after the polls that had none", async () => {
    let calls = 0;
    const found = await pollUntil("the third poll", () => (++calls >= 3 ? { at: calls } : null), 5_000, { intervalMs: 0 });
    expect(found).toEqual({ at: 3 });
    expect(calls).toBe(3);
  });

  it("awaits an async check", async () => {
    let calls = 0;
    await expect(pollUntil("an async value", () => Promise.resolve(++calls === 2 ? "ready" : ""), 5_000, { intervalMs: 0 })).resolves.toBe("ready");
  });

  it("checks once even with no time left, so a condition that holds never fails", async () => {
    await expect(pollUntil("a value already there", () => 7, 0)).resolves.toBe(7);
  });

  it("throws after the deadline, naming what it waited for and the explanation", async () => {
    let calls = 0;
    const err = await pollUntil(
      "a value that never comes",
      () => {
        calls++;
        return false;
      },
      30,
      { intervalMs: 0, explain: () => Promise.resolve(`checked ${calls} times`) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^timed out waiting for a value that never comes\nchecked \d+ times$/);
    expect(calls).toBeGreaterThan(1);
  });

  it("ends the wait with the check's own error", async () => {
    let calls = 0;
    const failing = pollUntil(
      "a process that died",
      () => {
        if (++calls === 2) throw new Error("it exited");
        return false;
      },
      5_000,
      { intervalMs: 0 },
    );
    await expect(failing).rejects.toThrow("it exited");
    expect(calls).toBe(2);
  });
});
