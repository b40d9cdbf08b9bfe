import { afterEach, describe, expect, it } from "vitest";
import { freshCursor, HASH_SPACE } from "@shardcast/core";
import { ensureConsumerGroup, expiredUnreadOf, listExpiredUnread, listGroupEvents, saveCheckpoints, setStreamRetention, updateRetentionSettings } from "@shardcast/db";
import type { WorkerDeps } from "../src/deps.ts";
import { runRetention } from "../src/processors/retention-enforce.ts";
import { runShardletAccounting } from "../src/processors/shardlet-accounting.ts";
import { runShardletManager } from "../src/processors/shardlet-manager.ts";
import { runShardletMerge } from "../src/processors/shardlet-merge.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { callEdge, idChecksum, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";
import { firstPage, partitionBytes, pastPartitionOf, produceSpread, storedRows, withoutDefaultPartitions } from "./retention-harness.ts";

/**
 * Retention on real hosts through a real edge: partitions of a few seconds, a stream of two
 * minutes' retention, and the retention job's clock moved forward instead of waiting.
 */

const TWO_MINUTES_H = 2 / 60;
const CAPACITY = 16 * 1024;

describe("retention", () => {
  let h: LifecycleHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** The worker's dependencies with the clock at `ms`. */
  const at = (deps: WorkerDeps, ms: number): WorkerDeps => ({ ...deps, clock: () => ms });

  it("drops expired partitions: reads start at the new start and say so, newer events are all kept, a shardlet split on size merges back", async () => {
    h = await startLifecycleHarness({
      hosts: 1,
      shardCount: 1,
      shardletsPerShard: 1,
      capacityBytes: CAPACITY,
      settings: { initialCapacityBytes: CAPACITY, splitThreshold: 0.8, mergeThreshold: 0.2, mergeWriteRate: 100 },
    });
    await setStreamRetention(h.db, h.streamId, { retentionHours: TWO_MINUTES_H });
    await updateRetentionSettings(h.db, { partitionSpanSec: 2, partitionsAhead: 2 }, null);
    await withoutDefaultPartitions(h);
    expect((await runRetention(h.deps)).created).toBeGreaterThan(0);

    // Old events: enough to split the shardlet by size.
    const old = await produceSpread(h, 200);
    // Seconds after the stream was made: accounting does not measure a window shorter than a second.
    await runShardletAccounting(at(h.deps, Date.now() + 5_000));
    const plan = await runShardletManager(h.deps);
    const split = plan.actions.find((a) => a.kind === "split");
    expect(split, JSON.stringify(plan)).toBeDefined();
    expect(await runShardletSplit(h.deps, { shardletId: split!.kind === "split" ? split!.shardletId : "", reason: "size" })).toMatchObject({ status: "done" });

    // New events, in a later partition than every old one.
    const before = await storedRows(h);
    await pastPartitionOf(h, Math.max(...old.map((a) => before.parts.get(a.id)!)));
    const fresh = await produceSpread(h, 20);
    const stored = await storedRows(h);
    const firstNew = Math.min(...fresh.map((a) => stored.parts.get(a.id)!));
    const bytesBefore = await partitionBytes(h);

    // Two minutes after the first new event was stored: every old one has expired.
    const later = at(h.deps, (firstNew + 120) * 1000);
    const dropsBefore = await h.db.operation.count({ where: { kind: "retention.drop" } });
    const rotationsBefore = await h.db.operation.count({ where: { kind: "retention.ids", hostId: h.hostIds[0]! } });
    const run = await runRetention(later);
    expect(run.dropped).toBeGreaterThanOrEqual(1);
    expect(run.freedEvents).toBe(old.length);

    const kept = await storedRows(h);
    expect([...kept.ids].sort()).toEqual(fresh.map((a) => a.id).sort());
    expect(await partitionBytes(h)).toBeLessThan(bytesBefore);
    // Every event stored before the host's id generations began has expired: the ids rotate. The
    // old ones leave with the previous generation once the fresh events have expired too.
    expect(run.idRotations).toBeGreaterThanOrEqual(1);
    const idsOf = async (table: string) =>
      (await (await h!.driver(h!.hostIds[0]!)).withClient((c) => c.query<{ event_id: string }>(`SELECT event_id FROM ${table} WHERE stream_id = $1`, [h!.streamId]))).rows.map((r) => r.event_id);
    expect(await idsOf("sc_event_ids")).toEqual([]);
    expect((await idsOf("sc_event_ids_prev")).sort()).toEqual([...old, ...fresh].map((a) => a.id).sort());
    expect(await h.db.operation.count({ where: { kind: "retention.ids", hostId: h.hostIds[0]! } })).toBe(rotationsBefore + 1);
    const firstSeq = Math.min(...fresh.map((a) => a.seq));
    const page = await firstPage(h, 0);
    expect(page.start).toBe(firstSeq);
    expect(page.events.map((e) => e.id).sort()).toEqual(fresh.map((a) => a.id).sort());
    expect((await firstPage(h, firstSeq - 1)).start).toBeUndefined();
    // A read by key forgets the old events too.
    const byKey = async (key: string) => (await callEdge<{ events: Array<{ id: string }> }>(h!, "GET", `/keys/${encodeURIComponent(key)}/events`)).body.events.map((e) => e.id);
    expect(await byKey(old[0]!.key)).toEqual([]);
    expect(await byKey(fresh[0]!.key)).toEqual([fresh[0]!.id]);

    const stream = await h.db.stream.findUniqueOrThrow({ where: { id: h.streamId } });
    expect(Number(stream.startSeq)).toBe(firstSeq);
    expect(Number(stream.freedEvents)).toBe(old.length);
    expect(Number(stream.freedBytes)).toBe(before.bytes);
    expect(stream.oldestEventAt?.getTime()).toBe(firstNew * 1000);
    expect(await h.db.operation.count({ where: { kind: "retention.drop" } })).toBe(dropsBefore + run.dropped);

    // The split's children now hold only the new events: cold, so the manager merges them back.
    await runShardletAccounting(later);
    const live = await h.db.shardlet.findMany({ where: { streamId: h.streamId, state: "active" } });
    expect(live).toHaveLength(2);
    expect(live.reduce((n, s) => n + Number(s.sizeBytes), 0)).toBe(kept.bytes);
    const cold = await runShardletManager(later);
    const merge = cold.actions.find((a) => a.kind === "merge");
    expect(merge, JSON.stringify(cold)).toBeDefined();
    if (merge?.kind !== "merge") return;
    expect(await runShardletMerge(h.deps, { leftId: merge.leftId, rightId: merge.rightId, reason: "cold" })).toMatchObject({ status: "done" });
    expect(await h.db.shardlet.count({ where: { streamId: h.streamId, state: "active" } })).toBe(1);
    expect((await h.read()).byPosition.map((e) => e.id).sort()).toEqual(fresh.map((a) => a.id).sort());
  }, 120_000);

  it("forgets a capped stream's oldest partitions first once it passes its size cap", async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 1 });
    await updateRetentionSettings(h.db, { partitionSpanSec: 2, partitionsAhead: 2 }, null);
    await withoutDefaultPartitions(h);
    await runRetention(h.deps);
    // Three batches, each in a partition of its own.
    const batches: Array<Array<{ id: string; seq: number }>> = [];
    for (let i = 0; i < 3; i++) {
      const acks = await produceSpread(h, 60);
      const rows = await storedRows(h);
      batches.push(acks);
      await pastPartitionOf(h, Math.max(...acks.map((a) => rows.parts.get(a.id)!)));
    }
    const rows = await storedRows(h);
    const bytesOf = async (acks: ReadonlyArray<{ id: string }>) => {
      let total = 0;
      for (const id of h!.hostIds) {
        const d = await h!.driver(id);
        const r = await d.withClient((c) => c.query<{ b: number }>("SELECT coalesce(sum(size_bytes), 0)::int AS b FROM sc_events WHERE event_id = ANY($1)", [acks.map((a) => a.id)]));
        total += r.rows[0]!.b;
      }
      return total;
    };
    const [b1, b2, b3] = [await bytesOf(batches[0]!), await bytesOf(batches[1]!), await bytesOf(batches[2]!)];
    expect(b1 + b2 + b3).toBe(rows.bytes);
    // Room for the newest batch and half of the one before: the two older batches go.
    await setStreamRetention(h.db, h.streamId, { retentionBytes: b3 + Math.floor(b2 / 2) });

    const run = await runRetention(h.deps);
    expect(run.freedEvents).toBe(120);
    expect(run.freedBytes).toBe(b1 + b2);
    const newest = batches[2]!;
    const kept = await storedRows(h);
    expect([...kept.ids].sort()).toEqual(newest.map((a) => a.id).sort());
    const firstSeq = Math.min(...newest.map((a) => a.seq));
    const page = await firstPage(h, 0);
    expect(page.start).toBe(firstSeq);
    expect(page.events.map((e) => e.id).sort()).toEqual(newest.map((a) => a.id).sort());
    // Within the cap now: a second run frees nothing more.
    expect((await runRetention(h.deps)).freedEvents).toBe(0);
  }, 120_000);

  it("loses nothing acknowledged after the cutoff when partitions are dropped while producers write", async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 2 });
    await setStreamRetention(h.db, h.streamId, { retentionHours: TWO_MINUTES_H });
    await updateRetentionSettings(h.db, { partitionSpanSec: 1, partitionsAhead: 3 }, null);
    // The job's clock runs 116 s ahead: with two minutes of retention, events expire 4 s after they were stored.
    const AHEAD_MS = 116_000;
    const ahead = (): WorkerDeps => at(h!.deps, Date.now() + AHEAD_MS);
    await withoutDefaultPartitions(h);
    await runRetention(ahead());

    const sent = new Map<string, number>();
    let stop = false;
    const producer = async () => {
      while (!stop) {
        const events = Array.from({ length: 20 }, () => ({ key: `k-${h!.nextId()}`, id: h!.nextId() }));
        const sec = Math.floor(Date.now() / 1000);
        await h!.produce(events);
        for (const e of events) sent.set(e.id, sec);
      }
    };
    const producers = [producer(), producer()];
    let dropped = 0;
    const end = Date.now() + 12_000;
    while (Date.now() < end) dropped += (await runRetention(ahead())).dropped;
    stop = true;
    await Promise.all(producers);
    const final = ahead();
    const cutoff = Math.floor(final.clock() / 1000) - 120;
    dropped += (await runRetention(final)).dropped;
    expect(dropped).toBeGreaterThan(0);

    const kept = await storedRows(h);
    const acked = [...h.acked.keys()];
    expect(acked.length).toBe(sent.size);
    // Sent at or after the cutoff: stored at or after it, so kept, every one.
    const mustKeep = acked.filter((id) => sent.get(id)! >= cutoff);
    const missing = mustKeep.filter((id) => !kept.ids.has(id));
    expect(missing).toEqual([]);
    expect(idChecksum([...kept.ids].filter((id) => sent.get(id)! >= cutoff))).toBe(idChecksum(mustKeep));
    // Older ones went, and nothing stored is unacknowledged.
    expect(kept.ids.size).toBeLessThan(acked.length);
    expect([...kept.ids].filter((id) => !h!.acked.has(id))).toEqual([]);
    // Reads return kept events only, from the stream's start on, in order.
    const read = (await h.read()).byPosition;
    expect(read.every((e) => kept.ids.has(e.id!))).toBe(true);
    expect(read.filter((e) => sent.get(e.id!)! >= cutoff)).toHaveLength(mustKeep.length);
  }, 120_000);
  it("counts the events a consumer group had not read when they expire, once, and tells the group", async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 1 });
    await setStreamRetention(h.db, h.streamId, { retentionHours: TWO_MINUTES_H });
    await updateRetentionSettings(h.db, { partitionSpanSec: 2, partitionsAhead: 2 }, null);
    await withoutDefaultPartitions(h);
    await runRetention(h.deps);
    const a = await produceSpread(h, 60);
    const b = await produceSpread(h, 40);
    const maxA = Math.max(...a.map((x) => x.seq));
    expect(Math.min(...b.map((x) => x.seq))).toBeGreaterThan(maxA);
    const rows = await storedRows(h);
    await pastPartitionOf(h, Math.max(...[...a, ...b].map((x) => rows.parts.get(x.id)!)));
    const c = await produceSpread(h, 10);
    const stored = await storedRows(h);
    const firstC = Math.min(...c.map((x) => stored.parts.get(x.id)!));

    // One group never read, one read all of A (a durable checkpoint over every key), one read everything.
    const never = await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "never", startSeq: 0 });
    const half = await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "half", startSeq: 0 });
    const all = await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "all", startSeq: Math.max(...b.map((x) => x.seq)) });
    const shardlet = await h.db.shardlet.findFirstOrThrow({ where: { streamId: h.streamId } });
    const write = { shardletId: shardlet.id, cursor: freshCursor(0, HASH_SPACE, maxA), trigger: "interval", reason: "test", eventsSince: 0, predictedReplaySec: 0 };
    expect(await saveCheckpoints(h.db, half.id, [write])).toEqual([shardlet.id]);

    const later = at(h.deps, (firstC + 120) * 1000);
    const run = await runRetention(later);
    expect(run.uncounted).toBe(0);
    expect(run.expiredUnread).toBe(a.length + b.length + b.length);
    const counts = await expiredUnreadOf(h.db, [never.id, half.id, all.id]);
    expect(counts.get(never.id)?.events).toBe(a.length + b.length);
    expect(counts.get(half.id)?.events).toBe(b.length);
    expect(counts.get(all.id)?.events).toBe(0);
    const logged = (await listGroupEvents(h.db, half.id, 10)).filter((e) => e.kind === "expired_unread");
    expect(logged).toHaveLength(1);
    expect(logged[0]!.detail).toContain(`${b.length} event(s) expired before the group read them`);

    // The same expiry seen again counts nothing twice.
    expect((await runRetention(later)).expiredUnread).toBe(0);
    expect((await expiredUnreadOf(h.db, [never.id])).get(never.id)?.events).toBe(a.length + b.length);
    expect(await listExpiredUnread(h.db)).toEqual([
      { stream: h.stream, group: "half", events: b.length },
      { stream: h.stream, group: "never", events: a.length + b.length },
    ]);
  }, 120_000);
});
