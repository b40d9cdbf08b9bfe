import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshCursor } from "@shardcast/core";
import {
  addConsumerMember,
  ensureConsumerGroup,
  findConsumerGroup,
  getConsumerGroupState,
  getConsumerPollState,
  reconcileConsumerGroup,
  saveCheckpoints,
  touchConsumerMember,
  type ControlDb,
} from "../src/index.ts";
import pg from "pg";
import { poolOf } from "../src/client.ts";
import { createTestCluster, createTestControlDb, waitFor, type TestCluster } from "../src/testing.ts";

// A zone far from UTC: the plain-SQL reads must not read the stored UTC times in the process's zone.
process.env.TZ = "America/Los_Angeles";

let cluster: TestCluster;
let db: ControlDb;
let groupId: string;
beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 1, stream: "orders", shardCount: 2, shardletsPerShard: 2 });
  db = cluster.db;
  const g = await ensureConsumerGroup(db, { streamId: cluster.streamId, name: "billing", startSeq: 1234 });
  groupId = g.id;
  await addConsumerMember(db, { groupId, name: "billing-1", sessionTimeoutMs: 30_000 });
  await addConsumerMember(db, { groupId, name: "billing-2", sessionTimeoutMs: 45_000 });
  await reconcileConsumerGroup(db, groupId, { now: Date.now(), handoffTimeoutMs: 1_000, sealCursors: () => Promise.resolve(new Map()) });
});
afterAll(() => cluster?.drop());

describe("a consumer group's state read in plain SQL", () => {
  it("is the state the stored rows hold, times and positions included, and the same inside a transaction", async () => {
    const state = await getConsumerGroupState(db, groupId);
    expect(state).not.toBeNull();
    const [group, members, assignments] = await Promise.all([
      db.consumerGroup.findUniqueOrThrow({ where: { id: groupId } }),
      db.consumerMember.findMany({ where: { groupId }, orderBy: { joinedAt: "asc" } }),
      db.consumerAssignment.findMany({ where: { groupId }, orderBy: { shardletId: "asc" } }),
    ]);
    expect(state!.group).toEqual({ id: group.id, streamId: cluster.streamId, name: "billing", startSeq: 1234, generation: group.generation, createdAt: group.createdAt.getTime() });
    expect(state!.members.map((m) => [m.name, m.sessionTimeoutMs, m.joinedAt, m.lastSeenAt])).toEqual(members.map((m) => [m.name, m.sessionTimeoutMs, m.joinedAt.getTime(), m.lastSeenAt.getTime()]));
    expect(assignments.length).toBe(4);
    expect(state!.assignments.map((a) => [a.shardletId, a.memberId, a.generation, a.assignedAt, a.committedSeq, a.handoffDeadline])).toEqual(
      assignments.map((a) => [a.shardletId, a.memberId, a.generation, a.assignedAt.getTime(), null, null]),
    );
    // A transaction's client has no pool of its own: Prisma's raw query runs the same SQL.
    const inTx = await db.$transaction((tx) => getConsumerGroupState(tx as ControlDb, groupId));
    expect(inTx).toEqual(state);
    expect(await findConsumerGroup(db, cluster.streamId, "billing")).toEqual(state!.group);
    expect(await findConsumerGroup(db, cluster.streamId, "nobody")).toBeNull();
    expect(await getConsumerGroupState(db, "no-such-group")).toBeNull();
  });

  it("reads a polling member's durable checkpoints with the state, and only that member's", async () => {
    const state = (await getConsumerGroupState(db, groupId))!;
    const [one, two] = state.members;
    const mine = state.assignments.filter((a) => a.memberId === one!.id).map((a) => a.shardletId);
    const theirs = state.assignments.filter((a) => a.memberId === two!.id).map((a) => a.shardletId);
    expect(mine.length).toBeGreaterThan(0);
    expect(theirs.length).toBeGreaterThan(0);
    const at = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 456));
    const cursor = (after: number) => freshCursor(0, 2 ** 31, after);
    await saveCheckpoints(db, groupId, [...mine.slice(0, 1), ...theirs].map((shardletId, i) => ({ shardletId, cursor: cursor(2000 + i), trigger: "test", reason: "test", eventsSince: 1, predictedReplaySec: 0 })), at);
    const poll = (await getConsumerPollState(db, groupId, one!.id))!;
    expect(poll.state).toEqual(await getConsumerGroupState(db, groupId));
    expect([...poll.durable.ids].sort()).toEqual([...mine].sort());
    // The first reconcile made a checkpoint of every shardlet it assigned: the member's are all there, its first moved on.
    expect([...poll.durable.checkpoints.keys()].sort()).toEqual([...mine].sort());
    const moved = poll.durable.checkpoints.get(mine[0]!)!;
    expect([moved.cursor, moved.position, moved.at]).toEqual([cursor(2000), 2000, at.getTime()]);
    expect(await getConsumerPollState(db, "no-such-group", one!.id)).toBeNull();
  });

  it("touches a member at the given time and tells a member that is gone", async () => {
    const [first] = (await getConsumerGroupState(db, groupId))!.members;
    const at = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    expect(await touchConsumerMember(db, first!.id, at)).toBe(true);
    const row = await db.consumerMember.findUniqueOrThrow({ where: { id: first!.id } });
    expect(row.lastSeenAt.getTime()).toBe(at.getTime());
    expect((await getConsumerGroupState(db, groupId))!.members.find((m) => m.id === first!.id)!.lastSeenAt).toBe(at.getTime());
    expect(await touchConsumerMember(db, "gone-member", at)).toBe(false);
  });
});

describe("the control database's pool", () => {
  it("outlives the server closing its idle connections before Prisma's first query", async () => {
    const control = await createTestControlDb();
    try {
      // Plain SQL first: the adapter would only start listening for pool errors at Prisma's first query.
      expect(await findConsumerGroup(control.db, "no-stream", "g")).toBeNull();
      const pool = poolOf(control.db)!;
      expect(pool.idleCount).toBeGreaterThan(0);
      const admin = new pg.Client({ connectionString: control.url });
      await admin.connect();
      try {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
      } finally {
        await admin.end();
      }
      // The pool hears of each closed connection as an error event and drops it.
      await waitFor("the pool to drop its closed connections", () => pool.idleCount === 0 && pool.totalCount === 0);
      expect(await findConsumerGroup(control.db, "no-stream", "g")).toBeNull();
    } finally {
      await control.drop();
    }
  });
});
