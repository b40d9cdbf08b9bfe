import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

describe("event ids in the overflow log", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  const streamId = "stream-o";
  const part = (seq: number, id: string | null) => ({ shardId: "shard-1", shardletId: "shardlet-1", events: [event(seq, "alice", id === null ? {} : { id })] });

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 4 });
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("stores an id once when two appends race, and answers the loser with the winner's position", async () => {
    const [a, b] = await Promise.all([
      driver.appendOverflow({ streamId, parts: [part(10, "o-1")] }),
      driver.appendOverflow({ streamId, parts: [part(11, "o-1")] }),
    ]);
    expect(await driver.countOverflow(streamId)).toBe(1);
    const stored = await driver.storedEventIds(streamId, ["o-1", "missing"]);
    const winner = stored.get("o-1")!;
    expect([10, 11]).toContain(winner);
    expect(stored.has("missing")).toBe(false);
    const loser = winner === 10 ? b : a;
    expect(loser).toEqual([{ duplicates: [{ index: 0, seq: winner }] }]);
  });

  it("keeps events without ids and repeats of a seq as before", async () => {
    expect(await driver.appendOverflow({ streamId, parts: [part(20, null), part(21, null)] })).toEqual([{ duplicates: [] }, { duplicates: [] }]);
    expect(await driver.appendOverflow({ streamId, parts: [part(20, null)] })).toEqual([{ duplicates: [] }]);
    expect(await driver.countOverflow(streamId)).toBe(3);
  });
});
