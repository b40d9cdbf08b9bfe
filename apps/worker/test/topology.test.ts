import { CONSUMER_SETTINGS_KEY, generatePrecursorStream, keyHash, trainContentModel } from "@shardcast/core";
import { findConsumerGroup, getDurableCheckpoints, listConsumerGroupSummaries, loadRoutes, updateSetting } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { createQueueEvents, enqueue, type JobName, type JobPayload } from "@shardcast/jobs";
import { ShardcastConsumer, ShardcastProducer } from "@shardcast/client";
import { installContentModel, readEdgePredictions, readMergedPredictions } from "@shardcast/runtime";
import { createLogger } from "@shardcast/runtime/logger";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Edge } from "../../edge/src/app.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";
import { exactlyOnceProblems, idChecksum, REDIS_URL, type ReadEvent } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * The production shape: two edges behind a round-robin entry and two workers on one queue, over
 * three storage hosts. Each feature runs through it as a deployment runs it: ingest (idempotent
 * across edges), reads by position and by key through either edge with each edge's read cache
 * coherent with writes through the other, a consumer group whose members reach different edges,
 * checkpoints by the workers' job, pre-allocation with each edge's predictions kept apart, and a
 * hand-off migration run by the workers while producers write through both edges.
 */

const WORKERS = 2;
let t: MigrationHarness;
const workers: RunningWorker[] = [];
const connections: Redis[] = [];
let events: QueueEvents;
/** Job id -> the index of the worker that completed it. */
const completedBy = new Map<string, number>();
/** The index of the worker that last took a `migration.run`. */
let moverWorker: number | null = null;

beforeAll(async () => {
  t = await startMigrationHarness({ hosts: 3, shardCount: 2, shardletsPerShard: 2, edges: 2 });
  for (let i = 0; i < WORKERS; i++) {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    connections.push(connection);
    // One job at a time each, so a job that runs while the other worker is busy proves both take work.
    const w = await startWorker(
      { ...t.h.deps, log: createLogger({ test: "topology", worker: i }, { level: "error" }) },
      { connection, prefix: t.h.prefix, concurrency: 1, schedule: false, accountingEveryMs: 5_000, healthEveryMs: 10_000, hintDebounceMs: 0 },
    );
    w.worker.on("completed", (job) => completedBy.set(job.id ?? "", i));
    w.worker.on("active", (job) => {
      if (job.name === "migration.run") moverWorker = i;
    });
    workers.push(w);
  }
  events = createQueueEvents(connections[0]!, { prefix: t.h.prefix });
  await events.waitUntilReady();
}, 60_000);

afterAll(async () => {
  for (const w of workers) await w.close();
  await events?.close();
  for (const c of connections) c.disconnect();
  await t?.close();
});

/** Queues a job on the shared queue and waits for its result; returns it with the worker that ran it. */
async function run<N extends JobName>(name: N, payload: JobPayload<N>): Promise<{ result: unknown; worker: number }> {
  const job = await enqueue(workers[0]!.queue, name, payload);
  const result: unknown = await job.waitUntilFinished(events, 30_000);
  await waitFor(`the completion of ${name} to be seen`, () => completedBy.has(job.id ?? ""), 5_000);
  return { result, worker: completedBy.get(job.id ?? "")! };
}

/** Everything an edge returns by position (all pages) and for `key` by key. */
async function readVia(edgeUrl: string, key: string): Promise<{ byPosition: ReadEvent[]; byKey: ReadEvent[] }> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${edgeUrl}/v1/streams/${t.h.stream}${path}`, { headers: { authorization: `Bearer ${t.h.token}` } });
    expect(res.status, `${path} on ${edgeUrl}`).toBe(200);
    return (await res.json()) as T;
  };
  const byPosition: ReadEvent[] = [];
  for (let after = 0; ; ) {
    const page = await get<{ events: ReadEvent[]; next: number; watermark: number }>(`/events?after=${after}&limit=1000`);
    byPosition.push(...page.events);
    if (page.next >= page.watermark || page.next === after) break;
    after = page.next;
  }
  const byKey = (await get<{ events: ReadEvent[] }>(`/keys/${encodeURIComponent(key)}/events?limit=1000`)).events;
  return { byPosition, byKey };
}

/** Events an edge acknowledged, by its own counter. */
async function ingested(edge: Edge): Promise<number> {
  const m = await edge.metrics.registry.getSingleMetric("shardcast_edge_ingest_events_total")!.get();
  return m.values.reduce((n, v) => n + v.value, 0);
}

/** Posts one event straight to one edge and records its acknowledgement with the harness's. */
async function postVia(edgeUrl: string, key: string, type = "t"): Promise<{ id: string; seq: number; shardletId: string }> {
  const id = t.h.nextId();
  const res = await fetch(`${edgeUrl}/v1/streams/${t.h.stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.h.token}` },
    body: JSON.stringify({ events: [{ key, id, type, payload: { n: id } }] }),
  });
  expect(res.status).toBe(200);
  const ack = { id, ...((await res.json()) as { events: Array<{ seq: number; shardletId: string }> }).events[0]! };
  t.h.acked.set(id, ack);
  t.keys.set(id, key);
  return ack;
}

const ackedSeqs = () => [...t.h.acked.values()].map((a) => a.seq).sort((a, b) => a - b);

describe("two edges behind a round-robin entry and two workers", () => {
  it("ingest: both edges acknowledge, a batch re-sent through the other edge is answered with its first positions, nothing is lost or doubled", async () => {
    await t.write({ lo: 0, hi: 2 ** 32 }, 600, { batch: 50 });
    // The SDK's producer reaches the edges through the entry.
    const producer = new ShardcastProducer({ url: t.h.edgeUrl, apiKey: t.h.token, stream: t.h.stream, idPrefix: `sdk-${t.h.nextId()}` });
    const sent = await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ key: `sdk-${i % 10}`, type: "t", payload: { i } })));
    await producer.close();
    for (const s of sent) t.h.acked.set(s.id, { id: s.id, seq: s.seq, shardletId: s.shardletId });
    for (const [i, e] of t.h.edges.entries()) expect(await ingested(e), `events edge ${i} acknowledged`).toBeGreaterThan(0);

    const first = [...t.h.acked.values()].slice(0, 50);
    for (const edgeUrl of t.h.edgeUrls) {
      const res = await fetch(`${edgeUrl}/v1/streams/${t.h.stream}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.h.token}` },
        body: JSON.stringify({ events: first.map((a) => ({ key: t.keys.get(a.id) ?? "x", id: a.id, type: "t", payload: { n: a.id, pad: "x".repeat(40) } })) }),
      });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { events: Array<{ seq: number }> };
      expect(json.events.map((e) => e.seq)).toEqual(first.map((a) => a.seq));
    }
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
    // One global order: every acknowledged position is distinct.
    expect(new Set(ackedSeqs()).size).toBe(t.h.acked.size);
  });

  it("reads: either edge returns every acknowledged event by position and by key, and sees writes made through the other at once", async () => {
    const key = t.h.keyIn(0, 2 ** 32);
    await t.h.produce([{ key, id: t.h.nextId() }]);
    const [a, b] = t.h.edgeUrls as [string, string];
    for (const url of [a, b]) {
      const r = await readVia(url, key);
      expect(r.byPosition.map((e) => e.seq)).toEqual(ackedSeqs());
      expect(idChecksum(r.byPosition.map((e) => e.id ?? ""))).toBe(idChecksum(t.h.acked.keys()));
      expect(r.byKey.map((e) => e.key)).toEqual([key]);
    }
    // B has the key's events cached; an event written through A must be in B's next read.
    const { id } = await postVia(a, key);
    const again = await readVia(b, key);
    expect(again.byKey.map((e) => e.id)).toContain(id);
    expect(again.byPosition.map((e) => e.seq)).toEqual(ackedSeqs());
  });

  it("consumer groups and checkpoints: members on different edges consume every event once; the workers' job makes their commits durable", async () => {
    await updateSetting(t.h.db, CONSUMER_SETTINGS_KEY, { checkpointMode: "fixed", fixedIntervalSec: 1 }, null);
    const delivered = new Map<string, number>();
    const held = new Map<string, Set<string>>();
    const members = t.h.edgeUrls.map(
      (url, i) =>
        new ShardcastConsumer({
          url,
          apiKey: t.h.token,
          stream: t.h.stream,
          group: "topology",
          name: `m${i}`,
          pollLimit: 200,
          maxIdleWaitMs: 100,
          handler: (batch) => {
            for (const e of batch.events) delivered.set(e.id ?? "", (delivered.get(e.id ?? "") ?? 0) + 1);
            return Promise.resolve();
          },
          onAssigned: (ids) => void held.set(`m${i}`, new Set([...(held.get(`m${i}`) ?? []), ...ids])),
          onRevoked: (ids) => {
            for (const id of ids) held.get(`m${i}`)?.delete(id);
          },
        }),
    );
    try {
      for (const m of members) await m.start();
      await waitFor("both members to hold shardlets", () => members.every((_, i) => (held.get(`m${i}`)?.size ?? 0) > 0), 30_000);
      await waitFor("the group to deliver every acknowledged event", () => [...t.h.acked.keys()].every((id) => delivered.has(id)), 60_000);
      const group = (await findConsumerGroup(t.h.db, t.h.streamId, "topology"))!;
      // The checkpoint job runs on whichever worker takes it, until every held shardlet is durable at its end.
      const routes = await loadRoutes(t.h.db, t.h.streamId);
      const lastSeq = new Map<string, number>();
      for (const a of t.h.acked.values()) lastSeq.set(a.shardletId, Math.max(lastSeq.get(a.shardletId) ?? 0, a.seq));
      await waitFor(
        "durable checkpoints at the end of every shardlet",
        async () => {
          await run("consumer.checkpoint", {});
          const durable = await getDurableCheckpoints(t.h.db, group.id);
          return routes.every((r) => !lastSeq.has(r.id) || (durable.get(r.id)?.position ?? 0) >= lastSeq.get(r.id)!);
        },
        30_000,
      );
      const summary = (await listConsumerGroupSummaries(t.h.db, t.h.streamId)).find((g) => g.group === "topology")!;
      expect(summary).toMatchObject({ members: 2, lagEvents: 0 });
    } finally {
      for (const m of members) await m.stop();
    }
    expect([...delivered.values()].filter((n) => n > 1)).toEqual([]);
    expect(idChecksum(delivered.keys())).toBe(idChecksum(t.h.acked.keys()));
  });

  it("pre-allocation: an installed model reaches both running edges, and each edge's surge prediction reaches the workers' job", async () => {
    // A content model trained on announced bursts, installed while the edges run.
    const stream = generatePrecursorStream({ seed: 21, announced: 40, durationSec: 5_400 });
    const state = trainContentModel(stream.events, (key) => `s${keyHash(key) % 64}`);
    expect(await installContentModel(t.h.redis, t.h.prefix, t.h.streamId, state, Date.now())).toBe(true);
    for (const e of t.h.edges) await e.prealloc!.publish();
    for (const e of t.h.edges) expect(e.prealloc!.model(t.h.streamId)?.version ?? 0).toBeGreaterThanOrEqual(state.examples);

    // Each edge sees a campaign announced on a key of its own.
    const announced = ["t3:campaign-a", "t4:campaign-b"];
    for (const [i, url] of t.h.edgeUrls.entries()) for (let n = 0; n < 3; n++) await postVia(url, announced[i]!, "campaign_started");
    for (const e of t.h.edges) {
      e.prealloc!.flushQueue();
      await e.prealloc!.publish();
    }
    const published = await readEdgePredictions(t.h.redis, t.h.prefix, t.h.streamId, Date.now());
    expect(published.map((p) => p.edge).sort()).toEqual(t.h.edges.map((e) => e.prealloc!.edgeId).sort());
    const merged = await readMergedPredictions(t.h.redis, t.h.prefix, t.h.streamId, 5_000, Date.now());
    const surging = new Set(merged?.predictions.map((p) => p.shardletId));
    for (const p of published) for (const q of p.predictions) expect(surging).toContain(q.shardletId);
    expect(published.every((p) => p.predictions.length > 0)).toBe(true);
    const { result } = await run("prealloc.run", { streamId: t.h.streamId });
    expect(result).toMatchObject({ failed: 0 });
    expect((result as { candidates: number }).candidates).toBeGreaterThan(0);
    // Training replays 90 minutes of events: seconds alone, minutes while every workspace's tests share two cores.
  }, 240_000);

  it("migrations: the workers hand a shardlet off while producers write through both edges; both edges route to the successor", { timeout: 120_000 }, async () => {
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const source = routes[0]!;
    const dest = t.h.hostIds.find((id) => id !== source.hostId)!;
    const range = { lo: source.lo, hi: source.hi };
    const producing = t.produceWhile(range, { producers: 2 });
    // The mover waits once in its first phase (a hand-off runs through the lifecycle machine)
    // until the other worker has run a job of its own.
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const lifecycle = t.h.deps.lifecycle!;
    lifecycle.hooks = {
      afterPhase: async () => {
        if (holding) return;
        holding = true;
        await held;
      },
    };
    const id = await t.approve(source.id, dest, { mode: "handoff" });
    await run("migration.scheduler", {});
    await waitFor("the mover to be in its first phase", () => holding, 30_000);
    const other = await run("shardlet.accounting", {});
    release();
    await waitFor("the hand-off to end", async () => (await t.migration(id)).phase === "done", 60_000);
    lifecycle.hooks = {};
    const produced = await producing.stop();
    expect(produced).toBeGreaterThan(0);
    // The accounting job ran while the mover held one worker (one job at a time each): on the other.
    expect(moverWorker).not.toBeNull();
    expect(other.worker).not.toBe(moverWorker);

    const successor = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === range.lo && r.hi === range.hi)!;
    expect(successor).toMatchObject({ hostId: dest, historyHostIds: [source.hostId] });
    for (const edgeUrl of t.h.edgeUrls) {
      const key = t.h.keyIn(range.lo, range.hi);
      expect((await postVia(edgeUrl, key)).shardletId, `${edgeUrl} routes ${keyHash(key)}`).toBe(successor.id);
    }
    await run("overflow.drain", { streamId: t.h.streamId });
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  });
});
