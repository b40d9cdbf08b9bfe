import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findConsumerGroup } from "@shardcast/db";
import { createScratchDatabase, waitFor } from "@shardcast/db/testing";
import { ConsumerProgress, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { endpoint } from "../src/http.ts";
import { staleDetailsSchema } from "../src/types.ts";
import {
  exactlyOnce,
  GroupApi,
  postgresDedupeStore,
  ShardcastClientError,
  ShardcastConsumer,
  ShardcastProducer,
  type CheckpointRequest,
  type ConsumerOptions,
  type FetchLike,
  type StoredEvent,
} from "../src/index.ts";
import { get, recordingFetch, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let producer: ShardcastProducer;
let shardletIds: string[];
beforeAll(async () => {
  h = await startHarness({ stream: "orders" });
  producer = new ShardcastProducer({ url: h.url, apiKey: h.token, stream: h.stream });
  const listed = await get(h, `/v1/streams/${h.stream}/shardlets`);
  shardletIds = (listed.body.shardlets as Array<{ id: string }>).map((s) => s.id).sort();
});
afterAll(async () => {
  await producer?.close();
  await h?.close();
});

const running: ShardcastConsumer[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

interface Member {
  consumer: ShardcastConsumer;
  events: StoredEvent[];
  assigned: string[][];
  revoked: string[][];
  errors: Array<{ code: string; phase: string }>;
}

function member(group: string, opts: Partial<ConsumerOptions> = {}): Member {
  const m: Member = { consumer: null as unknown as ShardcastConsumer, events: [], assigned: [], revoked: [], errors: [] };
  m.consumer = new ShardcastConsumer({
    url: h.url,
    apiKey: h.token,
    stream: h.stream,
    group,
    maxIdleWaitMs: 200,
    handler: (batch) => {
      m.events.push(...batch.events);
      return Promise.resolve();
    },
    onAssigned: (ids) => void m.assigned.push(ids),
    onRevoked: (ids) => void m.revoked.push(ids),
    onError: (err, ctx) => void m.errors.push({ code: err instanceof ShardcastClientError ? err.code : err.message, phase: ctx.phase }),
    ...opts,
  });
  running.push(m.consumer);
  return m;
}

async function produce(tag: string, n: number): Promise<number[]> {
  const results = await producer.sendBatch(Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, payload: { i } })));
  return results.map((r) => r.seq);
}

type GroupView = { members: Array<{ id: string }>; shardlets: Array<{ shardletId: string; memberId: string | null; position: number }> };
const groupView = async (group: string) => (await get(h, `/v1/streams/${h.stream}/groups/${group}`)).body as unknown as GroupView;

/** A promise the test resolves when it chooses. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Per shardlet, its events' positions rise. */
function inOrderPerShardlet(events: StoredEvent[]): boolean {
  const last = new Map<string, number>();
  for (const e of events) {
    if ((last.get(e.shardletId) ?? -1) >= e.seq) return false;
    last.set(e.shardletId, e.seq);
  }
  return true;
}

describe("ShardcastConsumer", () => {
  it("joins, gets every event once and in order per shardlet, commits, and a later member resumes after the commits", async () => {
    const seqs = await produce("c1", 300);
    const a = member("g1");
    await a.consumer.start();
    await waitFor("300 events processed", () => a.events.length >= 300, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual([...seqs].sort((x, y) => x - y));
    expect(inOrderPerShardlet(a.events)).toBe(true);
    expect(a.assigned.flat().sort()).toEqual(shardletIds);
    await a.consumer.stop();
    const m = a.consumer.metrics();
    expect(m).toMatchObject({ processed: 300, committed: 300 });
    expect(m.lastPollAt).not.toBeNull();
    expect(a.revoked.flat().sort()).toEqual(shardletIds);

    const view = await groupView("g1");
    expect(view.members).toEqual([]);
    const highest = new Map<string, number>();
    for (const e of a.events) highest.set(e.shardletId, Math.max(highest.get(e.shardletId) ?? 0, e.seq));
    for (const s of view.shardlets) expect(s.position).toBeGreaterThanOrEqual(highest.get(s.shardletId) ?? 0);

    const more = await produce("c1b", 20);
    const b = member("g1");
    await b.consumer.start();
    await waitFor("20 new events", () => b.events.length >= 20, 30_000);
    await b.consumer.stop();
    expect(b.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(more.sort((x, y) => x - y));
  });

  it("splits the shardlets between two members, hands them over on leave, and applies each event once with exactlyOnce", async () => {
    const db = await createScratchDatabase("client-consumer");
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    // The drop below terminates connections pool.end() is still closing.
    pool.on("error", () => undefined);
    try {
      await pool.query("CREATE TABLE effects (seq bigint PRIMARY KEY)");
      const store = postgresDedupeStore<pg.PoolClient>({ pool });
      await store.ensureTable();
      const handler = exactlyOnce(async (events, tx) => {
        for (const e of events) await tx.query("INSERT INTO effects (seq) VALUES ($1)", [e.seq]);
      }, store);
      const count = async () => Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM effects")).rows[0]!.n);

      const a = member("g2", { handler, start: "latest" });
      const b = member("g2", { handler, start: "latest" });
      await a.consumer.start();
      await b.consumer.start();
      await waitFor("both members hold shardlets, none twice", () => {
        const held = [...a.consumer.metrics().assignments, ...b.consumer.metrics().assignments];
        return a.consumer.metrics().assignments.length > 0 && b.consumer.metrics().assignments.length > 0 && held.length === shardletIds.length && new Set(held).size === held.length;
      }, 30_000);

      await produce("c2", 400);
      await waitFor("400 effects", async () => (await count()) >= 400, 30_000);
      const heldByA = a.consumer.metrics().assignments;
      await a.consumer.stop();
      expect(a.revoked.flat()).toEqual(expect.arrayContaining(heldByA));
      await waitFor("b holds every shardlet", () => b.consumer.metrics().assignments.length === shardletIds.length, 30_000);

      await produce("c2b", 100);
      await waitFor("500 effects", async () => (await count()) >= 500, 30_000);
      await b.consumer.stop();
      // The primary key would have refused a second effect; the count shows none went missing.
      expect(await count()).toBe(500);
      expect(b.errors.filter((e) => e.phase === "handler")).toEqual([]);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it("keeps its session through a handler that runs longer than the session timeout (heartbeats)", async () => {
    let slow = true;
    // The edge runs in this process: under a loaded machine a 3 s session lost its member between
    // two late heartbeats, so the session is 6 s and the handler still outlasts it by half.
    const a = member("g3", {
      sessionTimeoutMs: 6000,
      start: "latest",
      handler: async (batch) => {
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, 9000));
        }
        a.events.push(...batch.events);
      },
    });
    await a.consumer.start();
    const memberId = a.consumer.metrics().memberId;
    await produce("c3", 10);
    await waitFor("10 events", () => a.events.length >= 10, 30_000);
    expect(a.consumer.metrics().memberId).toBe(memberId);
    expect(a.errors).toEqual([]);
  });

  it("keeps its session while onAssigned runs longer than the session timeout (heartbeats), then consumes", async () => {
    const { fetch, log } = recordingFetch();
    const held = gate();
    const a = member("g7", {
      fetch,
      sessionTimeoutMs: 3000,
      start: "latest",
      onAssigned: async (ids) => {
        a.assigned.push(ids);
        if (a.assigned.length === 1) await held.wait;
      },
    });
    try {
      await a.consumer.start();
      const memberId = a.consumer.metrics().memberId!;
      const joinedAt = Date.now();
      // Answered heartbeats sent after the session timeout has passed since the join show the
      // session outlived the callback, and nothing else reached the edge meanwhile.
      await waitFor(
        "a heartbeat answered after the session timeout, while onAssigned still runs",
        () => log.some((x) => x.url.endsWith("/heartbeat") && x.status === 200 && x.startedAt - joinedAt > 3000),
        15_000,
        { explain: () => log.map((x) => `${x.method} ${x.url.split("/").pop()} ${x.status}`).join("\n") },
      );
      expect((await groupView("g7")).members.map((m) => m.id)).toEqual([memberId]);
    } finally {
      held.open();
    }
    const memberId = a.consumer.metrics().memberId;
    const seqs = await produce("c7", 10);
    await waitFor("10 events", () => a.events.length >= 10, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
    expect(a.consumer.metrics().memberId).toBe(memberId);
    expect(log.filter((x) => x.method === "POST" && x.url.endsWith("/members")).length).toBe(1);
    expect(a.assigned.length).toBe(1);
    expect(a.errors).toEqual([]);
  });

  it("keeps its session while onRevoked runs longer than the session timeout on stop, and leaves with its commits", async () => {
    const { fetch, log } = recordingFetch();
    const held = gate();
    const stopping: { done?: Promise<void> } = {};
    const a = member("g8", {
      fetch,
      sessionTimeoutMs: 3000,
      start: "latest",
      handler: (batch) => {
        a.events.push(...batch.events);
        // Stopped from within the first batch, so only the leave carries its commit.
        stopping.done ??= a.consumer.stop();
        return Promise.resolve();
      },
      onRevoked: async (ids) => {
        a.revoked.push(ids);
        await held.wait;
      },
    });
    await a.consumer.start();
    await produce("c8", 5);
    try {
      await waitFor("onRevoked called on stop", () => a.revoked.length > 0, 30_000);
      const revokedAt = Date.now();
      await waitFor(
        "a heartbeat answered after the session timeout, while onRevoked still runs",
        () => log.some((x) => x.url.endsWith("/heartbeat") && x.status === 200 && x.startedAt - revokedAt > 3000),
        15_000,
      );
    } finally {
      held.open();
    }
    await stopping.done;
    const leave = log.find((x) => x.method === "DELETE");
    expect(leave?.status).toBe(200);
    const handled = a.events[0]!;
    const view = await groupView("g8");
    expect(view.shardlets.find((s) => s.shardletId === handled.shardletId)?.position).toBeGreaterThanOrEqual(handled.seq);
    expect(a.errors).toEqual([]);
  });

  it("ignores a heartbeat answer that arrives after a newer poll's (it would hand back shardlets given away)", async () => {
    // The edge stays real; only the first heartbeat's answer is held back until the test lets it through.
    let heldHeartbeat = false;
    const heartbeatGate = gate();
    const { fetch: recording, log } = recordingFetch();
    const fetch: FetchLike = async (url, init) => {
      const res = await recording(url, init);
      if (!url.endsWith("/heartbeat") || heldHeartbeat) return res;
      heldHeartbeat = true;
      const text = await res.text();
      await heartbeatGate.wait;
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const handlerGate = gate();
    const a = member("g9", {
      fetch,
      sessionTimeoutMs: 3000,
      start: "latest",
      handler: async (batch) => {
        await handlerGate.wait;
        a.events.push(...batch.events);
      },
    });
    const b = member("g9", { start: "latest" });
    try {
      await a.consumer.start();
      expect(a.consumer.metrics().assignments.sort()).toEqual(shardletIds);
      await produce("c9", 20);
      // The handler outlasts the heartbeat interval: a heartbeat goes out and its answer (every
      // shardlet still A's) is held.
      await waitFor("a heartbeat answered and held", () => heldHeartbeat, 15_000);
      await b.consumer.start();
      handlerGate.open();
      // A's next poll hands B its share.
      await waitFor("A revoked what B takes", () => a.revoked.length > 0, 30_000);
    } finally {
      handlerGate.open();
      heartbeatGate.open();
    }
    const given = a.revoked.flat();
    const assignedBefore = a.assigned.length;
    const releasedAt = Date.now();
    await waitFor("a poll sent after the late heartbeat answer and answered", () => log.some((x) => x.url.endsWith("/poll") && x.startedAt > releasedAt && x.status === 200), 30_000);
    await waitFor("B holds what A gave", () => given.every((id) => b.consumer.metrics().assignments.includes(id)), 30_000);
    expect(a.assigned.slice(assignedBefore).flat().filter((id) => given.includes(id))).toEqual([]);
    expect(a.consumer.metrics().assignments.filter((id) => given.includes(id))).toEqual([]);
  });

  it("joins again when its session is gone (404) and goes on consuming", async () => {
    const a = member("g4", { start: "latest" });
    await a.consumer.start();
    const first = a.consumer.metrics().memberId!;
    // Another client removes the member, as an expired session would.
    await new GroupApi(endpoint({ url: h.url, apiKey: h.token }), h.stream, "g4").leave(first, []);
    await waitFor("a new member id", () => (a.consumer.metrics().memberId ?? first) !== first, 30_000);
    expect(a.errors).toContainEqual({ code: "not_found", phase: "poll" });
    expect(a.revoked.flat().sort()).toEqual(shardletIds);
    const seqs = await produce("c4", 15);
    await waitFor("15 events", () => a.events.length >= 15, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
  });

  it("stop() finishes the batch in hand and leaves with its commit", async () => {
    const { fetch, log } = recordingFetch();
    const stopping: { done?: Promise<void> } = {};
    const a = member("g5", {
      fetch,
      start: "latest",
      handler: async (batch) => {
        a.events.push(...batch.events);
        stopping.done ??= a.consumer.stop();
        await new Promise((r) => setTimeout(r, 200));
      },
    });
    await a.consumer.start();
    await produce("c5", 5);
    await waitFor("stop requested", () => stopping.done !== undefined, 30_000);
    await stopping.done;
    const leave = log.find((x) => x.method === "DELETE");
    expect(leave?.status).toBe(200);
    const commits = (JSON.parse(leave!.requestBody) as { commits?: Array<{ shardletId: string; position: number }> }).commits ?? [];
    const handled = a.events[0]!;
    expect(commits.some((c) => c.shardletId === handled.shardletId && c.position >= handled.seq)).toBe(true);
    const view = await groupView("g5");
    expect(view.shardlets.find((s) => s.shardletId === handled.shardletId)?.position).toBeGreaterThanOrEqual(handled.seq);
  });

  it("hands onCheckpoint the position the member's state covers, past the checkpoint it was asked for", async () => {
    const requests: CheckpointRequest[] = [];
    const a = member("snap", { onCheckpoint: (r) => void requests.push(r) });
    await a.consumer.start();
    await produce("snap", 60);
    await waitFor("60 events processed", () => a.events.length >= 60, 30_000);
    const byShardlet = new Map<string, number[]>();
    for (const e of a.events) byShardlet.set(e.shardletId, [...(byShardlet.get(e.shardletId) ?? []), e.seq]);
    const [shardletId, seqs] = [...byShardlet].sort((x, y) => y[1].length - x[1].length)[0]!;
    // The checkpoint job made an early position of the shardlet durable; the member is past it.
    const checkpointed = Math.min(...seqs);
    const g = (await findConsumerGroup(h.db, h.streamId, "snap"))!;
    const [me] = (await groupView("snap")).members;
    const redis = createRedis(testRedisUrl());
    try {
      await new ConsumerProgress(redis, h.prefix).requestSnapshots(g.id, me!.id, [{ shardletId, position: checkpointed, reason: "test" }]);
    } finally {
      redis.disconnect();
    }
    await waitFor("the snapshot request", () => requests.length > 0, 30_000);
    expect(requests).toEqual([{ shardletId, position: checkpointed, reason: "test", processed: expect.any(Number) as number }]);
    expect(requests[0]!.processed).toBeGreaterThanOrEqual(Math.max(...seqs));
  });

  it("gets a 409 with details.stale for a commit of another generation (the shape the consumer drops work by)", async () => {
    const api = new GroupApi(endpoint({ url: h.url, apiKey: h.token }), h.stream, "g6");
    const joined = await api.join({ start: "latest" });
    const a = joined.assignments[0]!;
    const err = await api.commit(joined.memberId, [{ shardletId: a.shardletId, generation: a.generation + 1, position: a.position }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, code: "conflict" });
    const stale = staleDetailsSchema.parse((err as ShardcastClientError).details);
    expect(stale.stale.map((s) => s.shardletId)).toEqual([a.shardletId]);
    await api.leave(joined.memberId, []);
  });
});
