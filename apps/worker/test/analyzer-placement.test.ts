import { createServer, type IncomingMessage } from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import {
  getAnalyzerProposal,
  listAnalyzerProposals,
  listHosts,
  listOperations,
  listShardlets,
  markAnalyzerProposalApplied,
  setStreamPredictiveMode,
  updateAnalyzerSettings,
  type ShardletInfo,
} from "@shardcast/db";
import { pgAdminUrl } from "@shardcast/db/env";
import { createTestCluster, createTestHostDb, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { embeddedDatabaseName } from "../src/analyzer/provision.ts";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { runHostProvision } from "../src/processors/host-provision.ts";
import { backdateShardlets, insertWriteRates } from "./analyzer-telemetry.ts";

const log = createLogger({ test: "analyzer" }, { level: "error" });
const flat = (v: number) => new Array<number>(30).fill(v);

async function cluster(): Promise<TestCluster> {
  const c = await createTestCluster({ hosts: 2, stream: `an-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 4 });
  await updateAnalyzerSettings(c.db, { bucketSec: 10, horizonSec: 120, historySteps: 30, telemetryLagSec: 0, period: 60 }, null);
  return c;
}

async function seed(c: TestCluster, nowMs: number, rate: (s: ShardletInfo) => number): Promise<ShardletInfo[]> {
  await backdateShardlets(c.db, c.streamId, nowMs);
  const shardlets = await listShardlets(c.db, { streamId: c.streamId });
  const end = forecastStartMs(nowMs, parseAnalyzerSettings({ bucketSec: 10, horizonSec: 120, telemetryLagSec: 0 }));
  for (const s of shardlets) await insertWriteRates(c.db, { streamId: c.streamId, shardletId: s.id, endMs: end, bucketSec: 10, rates: flat(rate(s)) });
  return shardlets;
}

describe("analyzer: predicted host overload becomes a migration", () => {
  let c: TestCluster;
  let shardlets: ShardletInfo[];
  let hostA: string;
  const nowMs = Date.now();

  beforeAll(async () => {
    c = await cluster();
    await c.db.host.updateMany({ data: { capacityEventsPerSec: 1000 } });
    const all = await listShardlets(c.db, { streamId: c.streamId });
    hostA = all[0]!.hostId;
    // Host A's shardlets write 300 events/s each, host B's 20: 600 against 40.
    shardlets = await seed(c, nowMs, (s) => (s.hostId === hostA ? 300 : 20));
    expect(shardlets.filter((s) => s.hostId === hostA)).toHaveLength(2);
  });
  afterAll(async () => {
    await c?.drop();
  });

  it("proposes moving one hot shardlet to the cold host, then approves it as a migration in act mode", async () => {
    const deps = { db: c.db, log, clock: () => nowMs };
    const first = await runAnalyzer(deps, { trigger: "manual" });
    expect(first.proposals).toEqual({ split: 0, migrate: 1, addHost: 0 });
    const [p] = await listAnalyzerProposals(c.db, { status: "open", kind: "migrate", limit: 5 });
    expect(p).toBeDefined();
    expect(p!.sourceHostId).toBe(hostA);
    expect(p!.destHostId).not.toBe(hostA);
    // 640 events/s over 2,000 of capacity: bound 1.25 x 32% x 1,000 = 400; A at 600 sheds 300.
    expect(p!.details?.expectedLoad).toEqual({ [hostA]: { before: 600, after: 300 }, [p!.destHostId!]: { before: 40, after: 340 } });
    expect(p!.expectedBenefit).toBe(260);
    expect(p!.reason).toMatch(/above its bound of 400 events\/s/);
    expect(await c.db.migration.count()).toBe(0);

    await setStreamPredictiveMode(c.db, c.streamId, "act");
    const second = await runAnalyzer(deps, { trigger: "manual" });
    expect(second.acted.migrations).toBe(1);
    const migrations = await c.db.migration.findMany();
    expect(migrations).toHaveLength(1);
    const m = migrations[0]!;
    expect(m).toMatchObject({ origin: "analyzer", phase: "approved", sourceHostId: hostA, proposedBy: "analyzer", expectedBenefit: 260 });
    const moved = shardlets.find((s) => s.id === m.shardletId)!;
    expect(m.shardletEpoch).toBe(moved.epoch);
    expect(m.urgencySec).not.toBeNull();
    const applied = await listAnalyzerProposals(c.db, { status: "applied", limit: 5 });
    expect(applied.map((x) => x.migrationId)).toEqual([m.id]);
    expect((await listOperations(c.db, { limit: 5 })).some((o) => o.kind === "analyzer.migrate")).toBe(true);

    // The move under way counts on its destination: the next run leaves host A alone.
    const third = await runAnalyzer(deps, { trigger: "manual" });
    expect(third.proposals.migrate).toBe(0);
    expect(await c.db.migration.count()).toBe(1);
  });

  it("forecasts with the active model version and records it with the run", async () => {
    const v = await c.db.modelVersion.create({ data: { kind: "seasonal_naive", version: 1, status: "active", promotedAt: new Date() } });
    const r = await runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "manual" });
    expect(r.model).toBe("seasonal_naive v1");
    const run = await c.db.analyzerRun.findUnique({ where: { id: r.runId! } });
    expect(run!.modelVersionId).toBe(v.id);
    // Seasonal naive repeats the last observed value when history is shorter than a season.
    const points = await c.db.forecastPoint.findMany({ where: { runId: r.runId!, shardletId: shardlets.find((s) => s.hostId !== hostA)!.id } });
    expect(points).toHaveLength(12);
    expect(points.every((p) => p.value === 20)).toBe(true);
    await c.db.modelVersion.delete({ where: { id: v.id } });
  });

  it("skips scheduled runs while disabled, but runs when asked", async () => {
    await updateAnalyzerSettings(c.db, { enabled: false }, null);
    const skipped = await runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "schedule" });
    expect(skipped).toMatchObject({ runId: null, skipped: "the analyzer is disabled" });
    const asked = await runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "manual" });
    expect(asked.runId).not.toBeNull();
    await updateAnalyzerSettings(c.db, { enabled: true }, null);
  });
});

describe("analyzer: the scale signal and host provisioning", () => {
  let c: TestCluster;
  const nowMs = Date.now();
  const extraDatabases: string[] = [];
  const extraHosts: Array<{ drop: () => Promise<void> }> = [];

  beforeAll(async () => {
    c = await cluster();
    // Two hosts of 100 events/s carry 240 events/s: past 85% of their 200.
    await c.db.host.updateMany({ data: { capacityEventsPerSec: 100 } });
    await seed(c, nowMs, () => 60);
  });
  afterAll(async () => {
    await c?.drop();
    for (const h of extraHosts) await h.drop();
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    try {
      for (const name of extraDatabases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  async function addHostProposal(): Promise<string> {
    const r = await runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "manual" });
    expect(r.proposals.addHost).toBe(1);
    const [p] = await listAnalyzerProposals(c.db, { status: "open", kind: "add_host", limit: 5 });
    expect(p!.reason).toMatch(/forecast cluster write rate reaches 170 events\/s \(85% of the \d+ active hosts' \d+ events\/s\) in 0 s/);
    expect(p!.urgencySec).toBe(0);
    // Four shardlets at a flat 60 events/s each.
    expect((p!.details?.forecastClusterLoad as number[])[0]).toBeCloseTo(240, 6);
    return p!.id;
  }

  function depsWith(provision: WorkerDeps["provision"]): WorkerDeps {
    return { db: c.db, hosts: c.hosts, log, clock: () => nowMs, provision };
  }

  it("creates a host database on the control server and registers it (the embedded default)", async () => {
    const id = await addHostProposal();
    // Provisioning refuses a proposal nobody approved.
    await expect(runHostProvision(depsWith({ mode: "embedded", controlUrl: c.controlUrl }), { proposalId: id })).rejects.toThrow(/was not approved/);
    const approved = await markAnalyzerProposalApplied(c.db, id, { actor: "ops@example.com" });
    // A job queued for an earlier approval of the proposal (undone when its queueing seemed to fail) is refused.
    const earlier = new Date(approved.decidedAt!.getTime() - 60_000).toISOString();
    await expect(runHostProvision(depsWith({ mode: "embedded", controlUrl: c.controlUrl }), { proposalId: id, approvedAt: earlier })).rejects.toThrow(/earlier approval/);
    const before = await listHosts(c.db);
    const database = embeddedDatabaseName(c.controlUrl, before.length + 1);
    extraDatabases.push(database);
    const r = await runHostProvision(depsWith({ mode: "embedded", controlUrl: c.controlUrl }), { proposalId: id, actor: "ops@example.com", approvedAt: approved.decidedAt!.toISOString() });
    expect(r.mode).toBe("embedded");
    const after = await listHosts(c.db);
    expect(after).toHaveLength(before.length + 1);
    const added = after.find((h) => h.id === r.hostId)!;
    expect(added.name).toBe(`host-${before.length + 1}`);
    expect(added.dsn).toContain(`/${database}`);
    // The median capacity of the hosts there were.
    expect(added.capacityEventsPerSec).toBe(100);
    // The new database has the host schema (registration applied it): a driver can reach it.
    const driver = await c.hosts.get(added.id);
    const tables = await driver.withClient((client) => client.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name = 'sc_events'"));
    expect(tables.rows[0]!.n).toBe("1");
    const p = await getAnalyzerProposal(c.db, id);
    expect(p!.details?.provision).toMatchObject({ status: "succeeded", mode: "embedded", hostId: added.id });
    const ops = await listOperations(c.db, { limit: 5, kind: "host.provision" });
    expect(ops[0]).toMatchObject({ status: "succeeded", actor: "ops@example.com", hostId: added.id });

    // With the third host the forecast fits: 240 of 300 events/s is below 85%.
    const again = await runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "manual" });
    expect(again.proposals.addHost).toBe(0);
    await c.db.host.delete({ where: { id: added.id } });
  });

  it("runs the provisioning command with the request on stdin and registers the host it reports", async () => {
    const hostDb = await createTestHostDb();
    extraHosts.push(hostDb);
    const id = await addHostProposal();
    await markAnalyzerProposalApplied(c.db, id, { actor: "ops@example.com" });
    // Reads the request, answers with the DSN it was given and a name made from the proposal id.
    const script = `let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);process.stdout.write(JSON.stringify({dsn:process.argv[1],name:"prov-"+r.proposalId.slice(-6).toLowerCase(),capacityEventsPerSec:r.suggested.capacityEventsPerSec*2}))})`;
    const r = await runHostProvision(depsWith({ mode: "command", argv: [process.execPath, "-e", script, hostDb.dsn], timeoutMs: 20_000 }), { proposalId: id });
    expect(r.hostName).toBe(`prov-${id.slice(-6).toLowerCase()}`);
    const host = (await listHosts(c.db)).find((h) => h.id === r.hostId)!;
    expect(host.capacityEventsPerSec).toBe(200);
    await c.db.host.delete({ where: { id: host.id } });
  });

  it("records a failing command on the proposal and in the operations log", async () => {
    const id = await addHostProposal();
    await markAnalyzerProposalApplied(c.db, id, { actor: "ops@example.com" });
    const hostsBefore = (await listHosts(c.db)).length;
    const failing = [process.execPath, "-e", 'process.stderr.write("quota exceeded for postgres://admin:hunter2@db.internal/x");process.exit(3)'];
    await expect(runHostProvision(depsWith({ mode: "command", argv: failing, timeoutMs: 20_000 }), { proposalId: id })).rejects.toThrow(/exited with code 3: quota exceeded/);
    expect((await listHosts(c.db)).length).toBe(hostsBefore);
    const p = await getAnalyzerProposal(c.db, id);
    const provision = p!.details?.provision as { status: string; message: string };
    expect(provision.status).toBe("failed");
    expect(provision.message).not.toContain("hunter2");
    const [op] = await listOperations(c.db, { limit: 1, kind: "host.provision" });
    expect(op).toMatchObject({ status: "failed" });
  });

  it("POSTs the request to the provisioning webhook and registers the host it answers with", async () => {
    const hostDb = await createTestHostDb();
    extraHosts.push(hostDb);
    const bodies: unknown[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let s = "";
      req.on("data", (d: Buffer) => (s += d.toString()));
      req.on("end", () => {
        bodies.push({ method: req.method, type: req.headers["content-type"], body: JSON.parse(s) as unknown });
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ dsn: hostDb.dsn, name: "hook-host" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const id = await addHostProposal();
      await markAnalyzerProposalApplied(c.db, id, { actor: "ops@example.com" });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/provision`;
      const r = await runHostProvision(depsWith({ mode: "webhook", url, timeoutMs: 10_000 }), { proposalId: id });
      expect(r.hostName).toBe("hook-host");
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({ method: "POST", type: "application/json", body: { proposalId: id, suggested: { capacityEventsPerSec: 100 } } });
      await c.db.host.delete({ where: { id: r.hostId! } });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
