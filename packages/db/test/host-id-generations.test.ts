import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyHostSchema, detachPartition, dropDetachedPartition, HOST_SCHEMA_VERSION, HostDriver, listEventPartitions, readIdGenerations, rotateIdGenerations } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event, waitFor } from "./helpers.ts";

/**
 * Producers' ids leave a host a generation at a time (host migration 0010): an id stays a
 * duplicate through one rotation, leaves with its generation once its events have expired, and
 * a rotation cannot fall between two writers of one id.
 */

const STREAM = "s-ids";
const SHARDLET = "sl-ids";

describe("event id generations", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  let seq = 0;

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 4 });
    await driver.setFence(SHARDLET, STREAM, 1, "active", { lo: 0, hi: 2 ** 32 });
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  const write = (ids: string[]) => driver.fencedWrite({ streamId: STREAM, shardletId: SHARDLET, epoch: 1, events: ids.map((id) => event(++seq, `k-${id}`, { id })) });
  const idsIn = async (table: "sc_event_ids" | "sc_event_ids_prev") =>
    (await driver.withClient((c) => c.query<{ event_id: string }>(`SELECT event_id FROM ${table} WHERE stream_id = $1 ORDER BY event_id`, [STREAM]))).rows.map((r) => r.event_id);
  /** What retention's drop does to every partition holding events: they have all expired. */
  async function expireAllEvents(): Promise<void> {
    const parts = await driver.withClient((c) => listEventPartitions(c));
    for (const p of parts.filter((x) => !x.legacy)) {
      await detachPartition(driver, { name: p.name, detachPending: p.detachPending });
      await dropDetachedPartition(driver, p);
    }
  }
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it("keeps an id a duplicate through one rotation and drops it with its generation once its events expired", async () => {
    const a = ids("a", 20);
    expect(await write(a)).toMatchObject({ ok: true, inserted: 20 });
    // The events stored since the migration are still there: the previous generation may be theirs.
    expect(await rotateIdGenerations(driver)).toMatchObject({ rotated: false, reason: "not-due" });
    expect(await idsIn("sc_event_ids")).toEqual([...a].sort());

    await expireAllEvents();
    const first = await rotateIdGenerations(driver);
    expect(first).toMatchObject({ rotated: true });
    expect(await idsIn("sc_event_ids")).toEqual([]);
    expect(await idsIn("sc_event_ids_prev")).toEqual([...a].sort());
    const gens = await driver.withClient((c) => readIdGenerations(c));
    expect(gens.prevUntil).toBe(first.prevUntil);

    // A producer's retry of `a` after the rotation is still a duplicate; `b` is new.
    const b = ids("b", 10);
    const retry = await write([...a.slice(0, 5), ...b]);
    expect(retry).toMatchObject({ ok: true, inserted: 10 });
    expect(retry.ok && retry.duplicates.map((d) => d.index)).toEqual([0, 1, 2, 3, 4]);
    expect(await idsIn("sc_event_ids")).toEqual([...b].sort());
    // `b`'s events are stored after the rotation: the previous generation is not all expired yet.
    expect(await rotateIdGenerations(driver)).toMatchObject({ rotated: false, reason: "not-due" });

    await expireAllEvents();
    const second = await rotateIdGenerations(driver);
    expect(second).toMatchObject({ rotated: true });
    expect(second.rotated && second.droppedBytes).toBeGreaterThan(0);
    expect(await idsIn("sc_event_ids_prev")).toEqual([...b].sort());
    // `a`'s events and ids are gone: the same ids now name new events.
    expect(await write(a.slice(0, 3))).toMatchObject({ ok: true, inserted: 3, duplicates: [] });
  });

  it("waits for a writer in flight, and a writer after it sees that writer's id", async () => {
    const probe = new pg.Client({ connectionString: host.dsn });
    const blocker = new pg.Client({ connectionString: host.dsn });
    await probe.connect();
    await blocker.connect();
    try {
      await expireAllEvents();
      // A writer in flight: its id recorded, not yet committed.
      await blocker.query("BEGIN");
      await blocker.query("INSERT INTO sc_event_ids (stream_id, event_id, seq, part) VALUES ($1, 'race-1', 999, 1)", [STREAM]);
      const waiting = async (pattern: string) => {
        const r = await probe.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1",
          [pattern],
        );
        return (r.rows[0]?.n ?? 0) > 0;
      };
      const rotation = rotateIdGenerations(driver, { lockTimeoutMs: 30_000 });
      await waitFor("the rotation to wait for the writer in flight", () => waiting("LOCK TABLE sc_event_ids IN%"));
      // A second writer of the same id arrives while the rotation waits: it queues behind it.
      const second = write(["race-1"]);
      await waitFor("the second writer to queue behind the rotation", () => waiting("%INSERT INTO sc_event_ids%"));
      await blocker.query("COMMIT");
      expect(await rotation).toMatchObject({ rotated: true });
      // The first writer's id went to the previous generation, and the second writer saw it there.
      const r = await second;
      expect(r).toEqual({ ok: true, inserted: 0, duplicates: [{ index: 0, seq: 999 }], part: expect.any(Number) as number });
      expect([...(await idsIn("sc_event_ids")), ...(await idsIn("sc_event_ids_prev"))].filter((id) => id === "race-1")).toHaveLength(1);
    } finally {
      await blocker.end();
      await probe.end();
    }
  });

  it("gives up without changing anything when writers hold the table past its lock timeout", async () => {
    await expireAllEvents();
    const blocker = new pg.Client({ connectionString: host.dsn });
    await blocker.connect();
    try {
      const before = await driver.withClient((c) => readIdGenerations(c));
      await blocker.query("BEGIN");
      await blocker.query("INSERT INTO sc_event_ids (stream_id, event_id, seq, part) VALUES ($1, 'held-1', 998, 1)", [STREAM]);
      expect(await rotateIdGenerations(driver, { lockTimeoutMs: 100 })).toMatchObject({ rotated: false, reason: "busy" });
      await blocker.query("COMMIT");
      expect((await driver.withClient((c) => readIdGenerations(c))).prevUntil).toBe(before.prevUntil);
      // The writer's id is still in the current generation, and writes go on.
      expect(await idsIn("sc_event_ids")).toContain("held-1");
      expect(await write(["after-busy"])).toMatchObject({ ok: true, inserted: 1 });
    } finally {
      await blocker.end();
    }
  });

  it("gives a host switched to partitions before generations existed its generations (migration 0010), its ids kept", async () => {
    const old = await createTestHostDb({ schema: false });
    const d = new HostDriver(old.dsn, { poolSize: 2 });
    try {
      await applyHostSchema(old.dsn, { upTo: 9 });
      // What migration 0009's step made before it created the generations itself.
      await d.withClient((c) => c.query("DROP TABLE sc_event_ids_prev, sc_id_generation"));
      await d.setFence(SHARDLET, STREAM, 1, "active", { lo: 0, hi: 2 ** 32 });
      await d.withClient((c) => c.query("INSERT INTO sc_event_ids (stream_id, event_id, seq, part) VALUES ($1, 'before-0010', 7, 1)", [STREAM]));
      expect(await applyHostSchema(old.dsn)).toBe(HOST_SCHEMA_VERSION);
      const gens = await d.withClient((c) => readIdGenerations(c));
      expect(gens.prevUntil).toBeGreaterThan(Date.now() / 1000 - 60);
      const res = await d.fencedWrite({ streamId: STREAM, shardletId: SHARDLET, epoch: 1, events: [event(70, "k", { id: "before-0010" }), event(71, "k", { id: "after-0010" })] });
      expect(res).toMatchObject({ ok: true, inserted: 1, duplicates: [{ index: 0, seq: 7 }] });
    } finally {
      await d.close();
      await old.drop();
    }
  });
});
