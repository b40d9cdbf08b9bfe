import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { DEFAULT_INGEST_LIMITS, HASH_SPACE, keyHash, RoutingTable, type ShardletRoute } from "@shardcast/core";
import { loadRoutes, type LifecycleJobInfo, type LifecycleStep } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime";
import { ownRedis, type OwnRedis } from "@shardcast/runtime/testing/own-redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEdge, type Edge } from "../../edge/src/app.ts";
import { runMigration, type MigrationRunResult } from "../src/migration/machine.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness, type ReadCheck } from "./migration-harness.ts";

/**
 * Hand-off moves under faults, with producers writing through real edges and readers reading by
 * position and by key throughout: a worker that dies at each persisted phase of the hand-off's
 * lifecycle job (the next run of the migration finishes it), an edge process SIGKILLed during a
 * burst of hand-offs (producers resend their cut batches, same ids, to a new edge), and Redis
 * restarted without persistence in the middle of one (its op-locks and sequence counters gone).
 * After each: the migration ended by itself, and every acknowledged event is stored exactly once
 * over the hosts (count and checksum against the acknowledgements) and read back at its position.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const EVERYWHERE = { lo: 0, hi: HASH_SPACE };

type When = "afterPhase" | "afterStep";
type Hook = (when: When, phase: LifecycleStep, job: LifecycleJobInfo, lockSignal?: AbortSignal) => void | Promise<void>;

// A Redis of this file's own: the last test restarts it, which the shared one must never be.
let redis: OwnRedis;
let t: MigrationHarness;
/** What the lifecycle machine's hooks do at the moment (null: nothing). */
let hook: Hook | null = null;
/** Where the producers send their batches: the harness's edge, then the edges the tests start. */
let edgeUrl: string;
const extraEdges: Edge[] = [];
const children: ChildProcess[] = [];
let home: string;
/** The non-home hosts the range below moves between (A holds it first, B nothing). */
let hostA: string;
let hostB: string;
/** The range handed back and forth, and the shardlet that holds it now. */
let range: { lo: number; hi: number };
let holder: string;
/** Keys of the range every producer batch writes to, read back by key. */
let tracked: string[];
/** The edge process the second test kills, started early: it takes a few seconds to come up. */
let spawning: Promise<{ child: ChildProcess; url: string }>;

beforeAll(async () => {
  redis = await ownRedis("handoff-faults");
  // One shard on three hosts: its home host holds the overflow log and a shardlet, host A the
  // other shardlet, host B nothing. Once A's range is handed off, the host left with its history
  // is read only through the route's history hosts. A short lock lifetime: a run whose lock
  // vanished with Redis learns it within a second.
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 2, redisUrl: redis.url, lockTtlMs: 3_000 });
  // The last test stops the server on purpose: the reconnect attempts are expected.
  t.h.redis.on("error", () => undefined);
  t.h.deps.lifecycle = {
    ...t.h.deps.lifecycle,
    hooks: {
      afterPhase: (phase, job, signal) => hook?.("afterPhase", phase, job, signal),
      afterStep: (phase, job, signal) => hook?.("afterStep", phase, job, signal),
    },
  };
  edgeUrl = t.h.edgeUrl;
  const routes = await loadRoutes(t.h.db, t.h.streamId);
  home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
  const first = routes.find((r) => r.hostId !== home)!;
  hostA = first.hostId;
  hostB = t.h.hostIds.find((id) => id !== home && id !== hostA)!;
  expect(routes.some((r) => r.hostId === hostB)).toBe(false);
  range = { lo: first.lo, hi: first.hi };
  holder = first.id;
  tracked = [t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi)];
  spawning = spawnEdge();
  spawning.catch(() => undefined);
  await t.write(range, 600);
}, 60_000);

/** Producers and readers a test started; stopped after it, also when it failed midway. */
const loops: Array<{ stop(): Promise<unknown> }> = [];

afterEach(async () => {
  hook = null;
  for (const l of loops.splice(0)) await l.stop().catch(() => undefined);
});

afterAll(async () => {
  hook = null;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const e of extraEdges) await e.close();
  await t?.close();
  await redis?.close();
});

interface ProduceStats {
  /** Events acknowledged. */
  produced: number;
  /** Attempts that got no answer (the edge died with the batch in flight, or was gone): resent. */
  cut: number;
  /** Attempts refused with 503 (Redis away): resent. */
  unavailable: number;
}

let inFlight = 0;

/** A batch as sent and as acknowledged. */
interface SentBatch {
  body: string;
  events: Array<{ key: string; id: string }>;
  seqs: number[];
}
/** Every batch acknowledged, by the edge that acknowledged it, oldest first. */
const ackedBy = new Map<string, SentBatch[]>();

/**
 * Posts one batch to the current edge until it is acknowledged, as a producer does: a cut
 * connection or a 503 is answered by resending the same events (same ids) after a short back-off,
 * to whatever edge `edgeUrl` names by then.
 */
async function send(events: Array<{ key: string; id: string }>, stats: ProduceStats): Promise<void> {
  for (const e of events) t.keys.set(e.id, e.key);
  const body = JSON.stringify({ events: events.map((e) => ({ key: e.key, id: e.id, type: "t", payload: { n: e.id, pad: "x".repeat(40) } })) });
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    let json: { events?: Array<{ seq: number; shardletId: string }>; error?: { message: string } } = {};
    const url = edgeUrl;
    inFlight++;
    try {
      const res = await fetch(`${url}/v1/streams/${t.h.stream}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.h.token}` },
        body,
      });
      status = res.status;
      json = (await res.json()) as typeof json;
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      stats.cut++;
    } finally {
      inFlight--;
    }
    if (status === 200 && json.events) {
      events.forEach((e, i) => t.h.acked.set(e.id, { id: e.id, seq: json.events![i]!.seq, shardletId: json.events![i]!.shardletId }));
      const list = ackedBy.get(url) ?? [];
      list.push({ body, events, seqs: json.events.map((e) => e.seq) });
      ackedBy.set(url, list);
      stats.produced += events.length;
      return;
    }
    if (status === 503) stats.unavailable++;
    else if (status !== 0) throw new Error(`produce failed (${status}): ${json.error?.message ?? "no body"}`);
    if (attempt >= 2_000) throw new Error(`a batch was not acknowledged after ${attempt} attempts`);
    // A client's back-off before it resends, not a wait for anything.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Producers writing batches of 20 (half of the keys in `r`, the first one a tracked key) until
 * stopped, each at most a batch per 25 ms so that the worker is not starved on two cores.
 */
function produceWhile(r: { lo: number; hi: number }, producers = 2): { stats: ProduceStats; stop(): Promise<ProduceStats> } {
  let stopped = false;
  const stats: ProduceStats = { produced: 0, cut: 0, unavailable: 0 };
  const running = Array.from({ length: producers }, async (_, p) => {
    for (let i = 0; !stopped; i++) {
      const events = Array.from({ length: 20 }, (_, j) => ({
        key: j === 0 ? tracked[(i + p) % tracked.length]! : j % 2 === 0 ? t.h.keyIn(r.lo, r.hi) : t.h.keyIn(0, HASH_SPACE),
        id: t.h.nextId(),
      }));
      await send(events, stats);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
  const handle = {
    stats,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
      return stats;
    },
  };
  loops.push(handle);
  return handle;
}

/** The harness's readers (by position and by tracked key, checked against the acknowledgements), stopped after the test. */
function readWhile(migrationId: () => string | null): ReturnType<MigrationHarness["readWhile"]> {
  const reading = t.readWhile(migrationId, tracked);
  loops.push(reading);
  return reading;
}

/** Waits until `n` more events than now have been acknowledged. */
async function acknowledged(n: number, what: string): Promise<void> {
  const from = t.h.acked.size;
  await waitFor(what, () => t.h.acked.size >= from + n, 30_000);
}

async function latestJob(sourceId: string): Promise<LifecycleJobInfo> {
  const row = await t.h.db.lifecycleJob.findFirst({ where: { sourceIds: { has: sourceId } }, orderBy: { createdAt: "desc" } });
  if (!row) throw new Error(`no lifecycle job for ${sourceId}`);
  return { ...row, splitAt: row.splitAt === null ? null : Number(row.splitAt), rowsMoved: Number(row.rowsMoved), drained: Number(row.drained) } as LifecycleJobInfo;
}

async function routeOf(r: { lo: number; hi: number }): Promise<ShardletRoute> {
  const found = (await loadRoutes(t.h.db, t.h.streamId)).find((x) => x.lo === r.lo && x.hi === r.hi);
  if (!found) throw new Error(`no route for [${r.lo}, ${r.hi})`);
  return found;
}

/**
 * A hand-off that ended done: the source sealed where it was (control row and fence), its
 * successor opened on the destination with the source's range, live there unless handed on since.
 */
async function expectHandedOff(sourceId: string, from: string, to: string): Promise<string> {
  const source = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: sourceId } });
  expect(source).toMatchObject({ state: "sealed", hostId: from });
  expect(source.sealedAt).not.toBeNull();
  expect(await (await t.h.driver(from)).getFence(sourceId)).toMatchObject({ state: "sealed" });
  const successor = await t.h.db.shardlet.findFirstOrThrow({ where: { parentId: sourceId } });
  expect(successor).toMatchObject({ hostId: to, lo: source.lo, hi: source.hi });
  expect(["active", "sealed"]).toContain(successor.state);
  expect(await (await t.h.driver(to)).getFence(successor.id)).toMatchObject({ state: successor.state });
  if (successor.state === "active") {
    const route = await routeOf({ lo: Number(source.lo), hi: Number(source.hi) });
    expect(route).toMatchObject({ id: successor.id, hostId: to, state: "active" });
    expect(route.historyHostIds).toContain(from);
  }
  return successor.id;
}

/** Rows and checksum of the stream's rows in [lo, hi) over every host. */
async function stored(r: { lo: number; hi: number }) {
  let rows = 0;
  let checksum = 0n;
  for (const id of t.h.hostIds) {
    const f = await t.onHost(id, r);
    rows += f.rows;
    checksum += f.checksum;
  }
  return { rows, checksum };
}

/**
 * Exactly once, counted: the overflow sweep (the worker's periodic one) first, for writes that
 * reached the overflow log after a job's own drain; then every acknowledged id stored once, in a
 * host that owns or holds the history of its key hash, with nothing else stored (count and
 * checksum), and the same count and (seq, id) checksum per range over the hosts.
 */
async function expectExactlyOnce(ranges: Array<{ lo: number; hi: number }>): Promise<void> {
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  const report = await t.h.check();
  expect(exactlyOnceProblems(report)).toEqual([]);
  expect(report.rows).toBe(t.h.acked.size);
  for (const r of ranges) expect(await stored(r), `range [${r.lo}, ${r.hi})`).toEqual(t.expected(r));
  expect(await stored(EVERYWHERE)).toEqual(pairChecksum(t.h.acked.values()));
}

/**
 * Reads after it all, through the harness's edge: by position every acknowledged event once at
 * its position (count and checksum), nothing else; by key every acknowledged event of each
 * tracked key once. The watermark is waited for first: an edge killed with a block of positions
 * holds it back until the block's lease ends.
 */
async function expectReadsExact(during?: ReadCheck): Promise<void> {
  if (during) {
    expect(during.problems).toEqual([]);
    expect(during.reads).toBeGreaterThan(0);
    for (const [seq, eventId] of during.returned) expect(t.h.acked.get(eventId)?.seq, `read returned ${eventId} at ${seq}`).toBe(seq);
  }
  const highest = Math.max(...[...t.h.acked.values()].map((a) => a.seq));
  // Right after Redis lost the counters the watermark refuses to answer until every writer has put
  // its blocks back (a few seconds): that is waited out too.
  const watermark = () => t.h.edge.sequences.watermark(t.h.streamId).catch(() => 0);
  await waitFor("the watermark past every acknowledged position", async () => (await watermark()) >= highest, 20_000);
  const { byPosition } = await t.h.read();
  expect(new Set(byPosition.map((e) => e.seq)).size).toBe(byPosition.length);
  expect(pairChecksum(byPosition.map((e) => ({ seq: e.seq, id: e.id ?? "" })))).toEqual(pairChecksum(t.h.acked.values()));
  for (const key of tracked) {
    const { byKey } = await t.h.read(key);
    const want = [...t.h.acked.values()].filter((a) => t.keys.get(a.id) === key);
    expect(byKey.length, `events of key ${key}`).toBeLessThan(1000);
    expect(byKey.map((e) => `${e.seq}:${e.id}`).sort(), `key ${key}`).toEqual(want.map((a) => `${a.seq}:${a.id}`).sort());
  }
}

/** Another edge over the same cluster and Redis prefix, in this process. */
async function startEdge(): Promise<string> {
  const edge = createEdge({
    databaseUrl: t.h.controlUrl,
    redisUrl: redis.url,
    redisPrefix: t.h.prefix,
    limits: { ...DEFAULT_INGEST_LIMITS, maxEventBytes: 4096, maxBodyBytes: 1024 * 1024 },
    routingRefreshMs: 30_000,
    lockResyncMs: 5_000,
    hostPoolSize: 6,
    // The dead edge's block of positions holds the watermark back until its lease ends.
    sequenceLeaseMs: 1_000,
    log: createLogger({ app: "edge" }, { level: "error" }),
  });
  extraEdges.push(edge);
  return `http://127.0.0.1:${await edge.listen(0, "127.0.0.1")}`;
}

/** An edge as its own process (as in production), so that it can be SIGKILLed; resolves with its URL. */
async function spawnEdge(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/edge/src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: t.h.controlUrl,
      REDIS_URL: redis.url,
      SHARDCAST_REDIS_PREFIX: t.h.prefix,
      SHARDCAST_EDGE_PORT: "0",
      SHARDCAST_LOG_LEVEL: "info",
      SHARDCAST_PREALLOC_MODEL: "off",
      SHARDCAST_SEQUENCE_LEASE_MS: "1000",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the edge did not become ready")), 60_000);
    child.once("exit", (code) => reject(new Error(`the edge exited with code ${code}`)));
    readline.createInterface({ input: child.stderr }).on("line", (line) => {
      if (!line.includes("edge ready")) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { child, url };
}

/** The migration's runs until it ends, as the scheduler gives it one after another. */
async function runToEnd(id: string): Promise<MigrationRunResult> {
  const results = await t.runToEnd(id);
  return results.at(-1)!;
}

describe("a worker killed mid-hand-off", () => {
  // Right after each phase was persisted, before its step ran; and after the drain, before `done`
  // was written (the locks still held). The other points after a step are these same states: the
  // steps of fenced and switching persist the next phase with their last control write (a
  // hand-off skips `moving`).
  const phases: LifecycleStep[] = ["locked", "fenced", "switching", "draining"];
  // The control statement and the host statements of `fenced` and of `switching` run at once; a
  // run may stop with only the control one done. `unfenced`: the source's fence on its host was
  // not raised; `unprepared`: the successor's fence on the destination was not written;
  // `unswitched`: neither the successor's fence opened nor the source's sealed.
  const cases: Array<{ phase: LifecycleStep; when: When; lost?: "unfenced" | "unprepared" | "unswitched" }> = [
    ...phases.map((phase) => ({ phase, when: "afterPhase" as const })),
    { phase: "draining", when: "afterStep" },
    { phase: "switching", when: "afterPhase", lost: "unfenced" },
    { phase: "switching", when: "afterPhase", lost: "unprepared" },
    { phase: "draining", when: "afterPhase", lost: "unswitched" },
  ];
  const crashes: string[] = [];

  it.each(cases)("stopped $when $phase (host statement lost: $lost): the next run of the migration finishes it, nothing lost or doubled", async ({ phase, when, lost }) => {
    const from = (await t.route(holder)).hostId;
    const to = from === hostA ? hostB : hostA;
    let migrationId: string | null = null;
    const producing = produceWhile(range);
    const reading = readWhile(() => migrationId);
    await acknowledged(40, "writes before the hand-off");

    hook = async (w, p, job) => {
      if (w !== when || p !== phase) return;
      hook = null;
      crashes.push(`${when}:${phase}${lost ? `:${lost}` : ""}`);
      if (lost === "unprepared") {
        const dest = await t.h.driver(to);
        await dest.withClient((c) => c.query("DELETE FROM sc_fence WHERE shardlet_id = ANY($1::text[])", [job.childIds]));
      } else if (lost === "unswitched") {
        const [dest, source] = [await t.h.driver(to), await t.h.driver(from)];
        const opened = await dest.withClient((c) => c.query("UPDATE sc_fence SET state = 'pending' WHERE shardlet_id = ANY($1::text[]) AND state = 'active'", [job.childIds]));
        const sealed = await source.withClient((c) => c.query("UPDATE sc_fence SET state = 'migrating' WHERE shardlet_id = ANY($1::text[]) AND state = 'sealed'", [job.sourceIds]));
        expect([opened.rowCount, sealed.rowCount]).toEqual([1, 1]);
      } else if (lost === "unfenced") {
        const source = await t.h.driver(from);
        const res = await source.withClient((c) =>
          c.query("UPDATE sc_fence SET state = 'active', epoch = epoch - 1 WHERE shardlet_id = ANY($1::text[]) AND state = 'migrating'", [job.sourceIds]),
        );
        expect(res.rowCount).toBe(1);
      }
      throw new Error(`injected crash ${when} ${phase}`);
    };
    const id = await t.approve(holder, to, { mode: "handoff" });
    migrationId = id;
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected crash/);
    expect(hook).toBeNull();
    const stopped = await latestJob(holder);
    expect(stopped).toMatchObject({ kind: "handoff", destHostId: to, finishedAt: null });
    // `locked`'s checks run before the attempt's statement, which persists the phase after them:
    // stopped right after `locked` began, the job is already at `fenced`, its hosts untouched.
    if (when === "afterPhase") expect(stopped.phase).toBe(phase === "locked" ? "fenced" : phase);
    const m = await t.migration(id);
    expect(m.phase).toBe("approved");
    expect(m.error).toMatch(/injected crash/);

    // Producers and readers go on while no worker runs the job.
    await acknowledged(40, "writes while the worker is down");
    await reading.waitForReads(1);

    // A fresh run, as the scheduler starts one: it finds the persisted job and finishes it.
    // Resumed at `switching` without the host's fence raised, it raises it before it switches;
    // resumed at `draining` with the hosts unswitched, it switches them before it lets its locks go.
    let fenceAtSwitch: unknown = null;
    if (lost === "unfenced") {
      hook = async (w, p) => {
        if (w === "afterStep" && p === "switching") fenceAtSwitch = await (await t.h.driver(from)).getFence(holder);
      };
    }
    expect(await runToEnd(id)).toMatchObject({ status: "done", phase: "done" });
    if (lost === "unfenced") expect(fenceAtSwitch).toMatchObject({ state: "sealed", epoch: (await t.h.db.shardlet.findUniqueOrThrow({ where: { id: holder } })).epoch });
    if (lost === "unswitched") {
      expect(await (await t.h.driver(from)).getFence(holder)).toMatchObject({ state: "sealed" });
      expect(await (await t.h.driver(to)).getFence((await latestJob(holder)).childIds[0]!)).toMatchObject({ state: "active" });
    }
    hook = null;
    await acknowledged(40, "writes after the hand-off");
    await reading.waitForReads(1);
    expect((await producing.stop()).produced).toBeGreaterThan(0);
    const reads = await reading.stop();

    expect(await t.migration(id)).toMatchObject({ mode: "handoff", phase: "done", rowsCopied: 0 });
    expect((await t.migration(id)).attempts).toBeGreaterThanOrEqual(2);
    const job = await latestJob(holder);
    expect(job).toMatchObject({ id: stopped.id, phase: "done" });
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    const successor = await expectHandedOff(holder, from, to);
    expect((await t.h.db.shardlet.findUniqueOrThrow({ where: { id: successor } })).state).toBe("active");
    const ops = await t.h.db.operation.findMany({ where: { kind: "shardlet.handoff", status: "succeeded", shardletId: holder } });
    expect(ops).toHaveLength(1);
    holder = successor;

    await expectExactlyOnce([range]);
    // The successor took writes on the destination; the history stayed on the source.
    expect((await t.onHost(to, range)).rows).toBeGreaterThan(0);
    expect((await t.onHost(from, range)).rows).toBeGreaterThan(0);
    await expectReadsExact(reads);
  }, 60_000);

  it("injected every crash it was asked for", () => {
    expect(crashes).toEqual(cases.map((c) => `${c.when}:${c.phase}${c.lost ? `:${c.lost}` : ""}`));
  });
});

describe("an edge killed during a burst of hand-offs", () => {
  it("producers resend their cut batches to a new edge; every hand-off ends by itself, every event stored once", async () => {
    const spawned = await spawning;
    edgeUrl = spawned.url;
    const producing = produceWhile(EVERYWHERE, 3);
    const reading = readWhile(() => null);
    await acknowledged(100, "writes through the spawned edge");

    // The range goes back and forth between A and B four times; meanwhile the home host's shardlet
    // to B and back. The edge dies in the lock window of the range's second hand-off with a batch
    // in flight; its replacement answers from that hand-off's switch on, so that what producers
    // resend meets the range's successor, its history and the overflow log of the lock window.
    let rangeHolder = holder;
    let rangeHandoffs = 0;
    hook = async (w, p, job) => {
      if (w !== "afterPhase" || job.sourceIds[0] !== rangeHolder) return;
      if (p === "locked") rangeHandoffs++;
      if (rangeHandoffs !== 2) return;
      if (p === "switching") {
        await waitFor("a batch in flight to the edge", () => inFlight > 0, 10_000, { intervalMs: 0 });
        spawned.child.kill("SIGKILL");
        await new Promise((resolve) => spawned.child.once("exit", resolve));
      }
      if (p === "draining") edgeUrl = await startEdge();
    };
    const homeShardlet = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.hostId === home)!;
    const homeRange = { lo: homeShardlet.lo, hi: homeShardlet.hi };
    const ended: Array<{ id: string; result: MigrationRunResult; source: string; from: string; to: string }> = [];
    const backAndForth = async (start: string, hosts: [string, string], times: number, onHolder: (id: string) => void) => {
      let current = start;
      for (let i = 0; i < times; i++) {
        const from = (await t.route(current)).hostId;
        const to = from === hosts[0] ? hosts[1] : hosts[0];
        const id = await t.approve(current, to, { mode: "handoff" });
        const result = await runToEnd(id);
        ended.push({ id, result, source: current, from, to });
        if (result.status !== "done") return current;
        current = (await routeOf(await sourceRange(current))).id;
        onHolder(current);
      }
      return current;
    };
    await Promise.all([
      backAndForth(holder, [hostA, hostB], 4, (id) => (rangeHolder = id)),
      backAndForth(homeShardlet.id, [home, hostB], 2, () => undefined),
    ]);
    hook = null;
    expect(spawned.child.signalCode, "the edge was killed").toBe("SIGKILL");
    expect(edgeUrl).not.toBe(spawned.url);
    await acknowledged(100, "writes through the new edge");
    const produced = await producing.stop();
    const reads = await reading.stop();
    // Batches cut with the edge were resent, same ids, to the new one.
    expect(produced.cut).toBeGreaterThan(0);

    // Every hand-off ended by itself: done (sealed source, successor opened) or given up with the source untouched.
    expect(ended).toHaveLength(6);
    for (const e of ended) {
      expect(["done", "failed"]).toContain(e.result.status);
      if (e.result.status === "done") await expectHandedOff(e.source, e.from, e.to);
      else expect(await t.h.db.shardlet.findUniqueOrThrow({ where: { id: e.source } })).toMatchObject({ state: "active", hostId: e.from });
    }
    expect(ended.filter((e) => e.result.status === "done").length).toBeGreaterThan(0);
    holder = rangeHolder;

    // Batches the dead edge acknowledged whose events now lie in a range's history (stored on a
    // host other than the one the range is written to now), resent as by a producer that lost the
    // answers with the edge or replays its outbox: each is answered with its first positions and
    // nothing is stored again.
    const lost = await inHistory(ackedBy.get(spawned.url) ?? [], 6);
    expect(lost.length, "batches of the dead edge stored in history").toBeGreaterThan(0);
    for (const b of lost) {
      const res = await fetch(`${edgeUrl}/v1/streams/${t.h.stream}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.h.token}` },
        body: b.body,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { events: Array<{ seq: number }> }).events.map((e) => e.seq)).toEqual(b.seqs);
    }

    await expectExactlyOnce([range, homeRange]);
    await expectReadsExact(reads);
  }, 60_000);
});

describe("Redis restarted during a hand-off", () => {
  it("stops the run that lost its lock; after Redis returns the next run finishes the hand-off, every event stored once", async () => {
    const from = (await t.route(holder)).hostId;
    const to = from === hostA ? hostB : hostA;
    const producing = produceWhile(range);
    await acknowledged(60, "writes before the hand-off");
    const highestBefore = Math.max(...[...t.h.acked.values()].map((a) => a.seq));

    // Redis goes away in the lock window, the source fenced and its successor prepared: from there
    // the hand-off only goes forward, so it must finish (a rollback is for jobs that changed nothing).
    // It comes back empty once the run has lost its lock and producers have been refused.
    let refusedDuringOutage = 0;
    hook = async (w, p, job, lockSignal) => {
      if (w !== "afterPhase" || p !== "switching" || job.sourceIds[0] !== holder) return;
      hook = null;
      const refused = producing.stats.unavailable;
      await redis.stop();
      // The lock cannot be extended any more: the run learns it at its next extension.
      await waitFor("the hand-off's op-lock to be lost", () => lockSignal?.aborted === true, 15_000);
      // Producers are refused (503) while Redis is away and keep resending their batches.
      await waitFor("a batch refused while Redis is away", () => producing.stats.unavailable > refused, 15_000);
      refusedDuringOutage = producing.stats.unavailable - refused;
      await redis.start();
    };
    const id = await t.approve(holder, to, { mode: "handoff" });
    const first = await runMigration(t.h.deps, id).then(
      (r) => r,
      (err: unknown) => err,
    );
    expect(hook).toBeNull();
    expect(refusedDuringOutage).toBeGreaterThan(0);
    expect(first, "the run that lost its lock stops").toBeInstanceOf(Error);
    expect(String(first)).toMatch(/lost/);
    const job = await latestJob(holder);
    expect(job).toMatchObject({ kind: "handoff", phase: "switching", finishedAt: null });
    expect((await t.migration(id)).phase).toBe("approved");

    // Redis is back, empty: the next run takes the locks again and finishes the job.
    expect(await runToEnd(id)).toMatchObject({ status: "done", phase: "done" });
    await acknowledged(60, "writes after Redis came back");
    const produced = await producing.stop();
    expect(produced.unavailable).toBeGreaterThan(0);
    const successor = await expectHandedOff(holder, from, to);
    expect((await latestJob(holder)).phase).toBe("done");
    holder = successor;

    // Positions: one per acknowledged event, none handed out twice across the loss.
    const acks = [...t.h.acked.values()];
    expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
    expect(Math.max(...acks.map((a) => a.seq))).toBeGreaterThan(highestBefore);
    await expectExactlyOnce([range]);
    await expectReadsExact();
  });
});

/** Up to `n` of the batches (newest first) with an event stored on a host other than the one its key's range is written to now. */
async function inHistory(batches: readonly SentBatch[], n: number): Promise<SentBatch[]> {
  const table = RoutingTable.build(t.h.streamId, await loadRoutes(t.h.db, t.h.streamId));
  const where = new Map<string, string>();
  const ids = batches.flatMap((b) => b.events.map((e) => e.id));
  for (const hostId of t.h.hostIds) {
    const d = await t.h.driver(hostId);
    const res = await d.withClient((c) => c.query<{ event_id: string }>("SELECT event_id FROM sc_events WHERE stream_id = $1 AND event_id = ANY($2::text[])", [t.h.streamId, ids]));
    for (const r of res.rows) where.set(r.event_id, hostId);
  }
  const out: SentBatch[] = [];
  for (const b of [...batches].reverse()) {
    if (b.events.some((e) => where.get(e.id) !== table.lookup(keyHash(e.key)).hostId)) out.push(b);
    if (out.length >= n) break;
  }
  return out;
}

/** The range of a shardlet (sealed or live). */
async function sourceRange(id: string): Promise<{ lo: number; hi: number }> {
  const s = await t.h.db.shardlet.findUniqueOrThrow({ where: { id } });
  return { lo: Number(s.lo), hi: Number(s.hi) };
}
