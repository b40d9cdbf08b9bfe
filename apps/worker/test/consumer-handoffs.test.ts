import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { CONSUMER_SETTINGS_KEY } from "@shardcast/core";
import { loadRoutes, updateSetting } from "@shardcast/db";
import { createScratchDatabase, waitFor } from "@shardcast/db/testing";
import { ConsumerProgress } from "@shardcast/runtime";
import { postgresDedupeStore } from "@shardcast/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsumerCheckpoint } from "../src/consumers/checkpoint.ts";
import { runLifecycleJob } from "../src/lifecycle/machine.ts";
import { planMerge, planSplit } from "../src/lifecycle/plan.ts";
import { idChecksum } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A consumer group through hand-offs, splits and merges: two SDK members, each its own process,
 * consume a stream while producers write, and meanwhile a shardlet is handed off to another host
 * (its history stays sealed where it was written), split, its children handed back and merged
 * again, and the home host's shardlet handed off too. The members lag behind each hand-off
 * (paused while it runs), so the successor continues from a cursor inside the sealed source's
 * events and must read them from the source's host. Every event
 * acknowledged to the producers is delivered to the group (count and checksum of ids, and applied
 * exactly once through the SDK's helper); each change re-delivers at most the uncommitted polls
 * of the members holding the shardlets it replaced.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const FIXTURE = path.join(ROOT, "apps/worker/test/fixtures/consumer-member.ts");
const GROUP = "through-handoffs";
const TABLES = "ch";
/** The members' poll size (the fixture's `pollLimit`): the most a member holds delivered and uncommitted. */
const POLL_LIMIT = 200;
const MEMBERS = ["m1", "m2"];

let t: MigrationHarness;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let results: pg.Pool;
const members = new Map<string, { child: ChildProcess; assigned: number }>();

function startMember(name: string): void {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    cwd: ROOT,
    // A session longer than a hand-off takes, since the members are paused (SIGSTOP) through them.
    env: { ...process.env, EDGE_URL: t.h.edgeUrl, TOKEN: t.h.token, STREAM: t.h.stream, GROUP, NAME: name, PG_URL: scratch.url, TABLES, SESSION_TIMEOUT_MS: "20000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const entry = { child, assigned: 0 };
  members.set(name, entry);
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const m = /^assigned (\d+)$/.exec(line);
    if (m) entry.assigned = Number(m[1]);
  });
}

async function count(sql: string): Promise<number> {
  return Number((await results.query<{ n: string }>(sql)).rows[0]!.n);
}
const deliveries = () => count(`SELECT count(*) AS n FROM ${TABLES}_deliveries`);
const duplicates = () => count(`SELECT count(*) - count(DISTINCT seq) AS n FROM ${TABLES}_deliveries`);

beforeAll(async () => {
  // One shard on three hosts: the home host holds the overflow log and a shardlet, host A the
  // other shardlet, host B nothing until the hand-offs.
  // Two edges behind a round-robin entry: each member's connections land on either.
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 2, settings: { minShardletWidth: 1024 }, edges: 2 });
  // A checkpoint a second and a short hand-over between members, as in the acceptance test.
  await updateSetting(t.h.db, CONSUMER_SETTINGS_KEY, { checkpointMode: "fixed", fixedIntervalSec: 1, handoffTimeoutMs: 1_000 }, null);
  scratch = await createScratchDatabase("consumer-handoffs");
  results = new pg.Pool({ connectionString: scratch.url, max: 4 });
  // The scratch database is dropped with FORCE at the end; an idle client it cuts must not surface.
  results.on("error", () => undefined);
  await results.query(`CREATE TABLE ${TABLES}_deliveries (member text NOT NULL, shardlet_id text NOT NULL, seq bigint NOT NULL, event_id text NOT NULL)`);
  await results.query(`CREATE TABLE ${TABLES}_effects (seq bigint NOT NULL, event_id text NOT NULL, member text NOT NULL)`);
  // Created once here: the members would race to create it.
  await postgresDedupeStore({ pool: results, table: `${TABLES}_dedupe` }).ensureTable();
}, 60_000);

/** Stops the test's producer and checkpoint loops (also when it failed midway). */
let stopBackground = (): Promise<void> => Promise.resolve();

afterAll(async () => {
  await stopBackground();
  for (const { child } of members.values()) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await results?.end();
  await scratch?.drop();
  await t?.close();
});

describe("a consumer group while its shardlets are handed off, split and merged", () => {
  it("delivers every acknowledged event, re-delivering at most the replaced shardlets' uncommitted polls per change", async () => {
    const progressStore = new ConsumerProgress(t.h.redis, t.h.prefix);
    for (const name of MEMBERS) startMember(name);
    await waitFor("both members with shardlets", () => MEMBERS.every((n) => members.get(n)!.assigned > 0), 60_000);

    // Continuous ingest over the whole key space, and the checkpoint job once a second, until the end.
    let producing = true;
    const producer = (async () => {
      while (producing) {
        await t.h.produce(Array.from({ length: 25 }, () => ({ key: t.h.keyIn(0, 2 ** 32), id: t.h.nextId() })));
        // A producer's pace, not a wait: two cores are shared with the members and the worker.
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    let checkpointing = true;
    const checkpointer = (async () => {
      while (checkpointing) {
        await runConsumerCheckpoint(t.h.deps, { progress: progressStore, decisionIntervalSec: 1 });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    // Their errors surface where they are awaited below; a test that failed before stops them here.
    producer.catch(() => undefined);
    checkpointer.catch(() => undefined);
    stopBackground = async () => {
      producing = false;
      checkpointing = false;
      await Promise.allSettled([producer, checkpointer]);
    };

    const steps: Array<{ step: string; replaced: number; duplicates: number }> = [];
    /**
     * Runs one change, then waits until the group has been delivered everything acknowledged by
     * its end: what it re-delivered is counted then, so a slow replay is not charged to the next.
     */
    const step = async (name: string, replaced: number, run: () => Promise<void>) => {
      const before = await duplicates();
      await run();
      const from = await deliveries();
      await waitFor(`deliveries after ${name}`, async () => (await deliveries()) >= from + 150, 30_000);
      const seqs = [...t.h.acked.values()].map((a) => a.seq);
      const upTo = seqs.reduce((m, q) => (q > m ? q : m), 0);
      const caughtUp = () => count(`SELECT count(DISTINCT seq) AS n FROM ${TABLES}_deliveries WHERE seq <= ${upTo}`);
      await waitFor(`the group to catch up after ${name}`, async () => (await caughtUp()) >= seqs.length, 30_000, {
        explain: async () => `${seqs.length - (await caughtUp())} of ${seqs.length} acknowledged events not delivered`,
      });
      steps.push({ step: name, replaced, duplicates: (await duplicates()) - before });
    };
    /**
     * A hand-off while the members lag behind: they are paused (as by a long GC pause or a slow
     * handler) while events of the range are written to its host and the hand-off runs, so those
     * events are left behind the group's cursor on the sealed source; the successor must deliver
     * them, read from its history host.
     */
    const behind: Array<{ successor: string; ids: string[] }> = [];
    const handOff = async (shardletId: string, to: string) => {
      const source = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: shardletId } });
      for (const name of MEMBERS) members.get(name)!.child.kill("SIGSTOP");
      try {
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const events = Array.from({ length: 100 }, () => ({ key: t.h.keyIn(Number(source.lo), Number(source.hi)), id: t.h.nextId() }));
          await t.h.produce(events);
          ids.push(...events.map((e) => e.id));
        }
        const id = await t.approve(shardletId, to, { mode: "handoff" });
        expect((await t.runToEnd(id)).at(-1)).toMatchObject({ status: "done" });
        const successor = await t.h.db.shardlet.findFirstOrThrow({ where: { parentId: shardletId, state: "active" } });
        expect((await t.h.db.shardlet.findUniqueOrThrow({ where: { id: shardletId } })).state).toBe("sealed");
        behind.push({ successor: successor.id, ids });
        return successor.id;
      } finally {
        for (const name of MEMBERS) members.get(name)!.child.kill("SIGCONT");
      }
    };
    const runJob = async (planned: Awaited<ReturnType<typeof planSplit>>) => {
      if ("skipped" in planned) throw new Error(`not planned: ${planned.skipped}`);
      expect(await runLifecycleJob(t.h.deps, planned.job.id)).toMatchObject({ status: "done" });
      return planned.job.childIds;
    };

    const from = await deliveries();
    await waitFor("first deliveries", async () => (await deliveries()) >= from + 300, 30_000);
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
    const onA = routes.find((r) => r.hostId !== home)!;
    const hostA = onA.hostId;
    const hostB = t.h.hostIds.find((id) => id !== home && id !== hostA)!;

    // A's shardlet to B: its history stays sealed on A, read by the members from there.
    let s = "";
    await step("hand-off A -> B", 1, async () => {
      s = await handOff(onA.id, hostB);
    });
    // Split on B: both children's ranges have their history on A.
    let children: string[] = [];
    await step("split", 1, async () => {
      children = await runJob(await planSplit(t.h.deps, { shardletId: s, reason: "test split" }));
    });
    // Both children back to A, one after the other, then merged there.
    const back: string[] = [];
    await step("hand-off of the left child B -> A", 1, async () => {
      back.push(await handOff(children[0]!, hostA));
    });
    await step("hand-off of the right child B -> A", 1, async () => {
      back.push(await handOff(children[1]!, hostA));
    });
    await step("merge", 2, async () => {
      await runJob(await planMerge(t.h.deps, { leftId: back[0]!, rightId: back[1]!, reason: "test merge" }));
    });
    // And the home host's shardlet (the overflow log's host) to B.
    const onHome = routes.find((r) => r.hostId === home)!;
    await step("hand-off home -> B", 1, async () => {
      await handOff(onHome.id, hostB);
    });

    producing = false;
    await producer;
    const acked = t.h.acked;
    await waitFor("every acknowledged event processed", async () => (await count(`SELECT count(DISTINCT seq) AS n FROM ${TABLES}_effects`)) >= acked.size, 60_000);
    checkpointing = false;
    await checkpointer;
    for (const name of MEMBERS) members.get(name)!.child.kill("SIGTERM");
    process.stderr.write(`re-deliveries per change: ${JSON.stringify(steps)}\n`);

    // At least once: every acknowledged event delivered (count and checksum of the ids), nothing else.
    const delivered = await results.query<{ seq: string; event_id: string }>(`SELECT DISTINCT seq, event_id FROM ${TABLES}_deliveries`);
    expect(delivered.rowCount).toBe(acked.size);
    expect(idChecksum(delivered.rows.map((r) => r.event_id))).toBe(idChecksum(acked.keys()));
    for (const r of delivered.rows) expect(acked.get(r.event_id)?.seq, r.event_id).toBe(Number(r.seq));
    // Exactly once with the SDK's helper: one effect per acknowledged event.
    const effects = await results.query<{ event_id: string }>(`SELECT event_id FROM ${TABLES}_effects`);
    expect(effects.rowCount).toBe(acked.size);
    expect(idChecksum(effects.rows.map((r) => r.event_id))).toBe(idChecksum(acked.keys()));

    // The events left behind on each sealed source were delivered through its successor, from
    // the source's host (a member paused mid-poll may have received up to a poll of them before).
    for (const b of behind) {
      const bySuccessor = await count(`SELECT count(DISTINCT event_id) AS n FROM ${TABLES}_deliveries WHERE shardlet_id = '${b.successor}' AND event_id = ANY('{${b.ids.join(",")}}'::text[])`);
      expect(bySuccessor, `events behind the cursor delivered by ${b.successor}`).toBeGreaterThanOrEqual(b.ids.length - POLL_LIMIT);
    }
    expect(behind).toHaveLength(4);

    // Re-delivery is bounded: a member commits what it processed with its next poll, so a change
    // re-delivers at most one poll (POLL_LIMIT events) per shardlet it replaced, from the member
    // that held it when its cursor was handed on.
    expect(steps).toHaveLength(6);
    for (const st of steps) expect(st.duplicates, `${st.step}: ${JSON.stringify(steps)}`).toBeLessThanOrEqual(st.replaced * POLL_LIMIT);
  }, 240_000);
});
