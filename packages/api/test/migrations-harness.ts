import { createMigrationProposal, type NewMigrationProposal } from "@shardcast/db";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { emailOf, startHarness, waitingJobs, type Harness } from "./harness.ts";

/**
 * What the migrations console tests share: three hosts, a viewer, an operator and an admin, one
 * stream "orders" of six shardlets, and proposals made as the rebalancer makes them.
 */

export interface MigrationOut {
  id: string;
  phase: string;
  origin: string;
  mode: "handoff" | "copy";
  reason: string;
  bytesToMove: number;
  shardletLabel: string;
  sourceHostName: string;
  destHostName: string;
  expectedLoad: Array<{ hostName: string; before: number; after: number }>;
  feasibility: { headroom: { ok: boolean; detail: string } } | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  cancelRequested: boolean;
  decidedBy: string | null;
  etaSec: number | null;
  events?: Array<{ phase: string; message: string; at: Date }>;
  /** A hand-off's sealed source (`migrations.get` only). */
  history?: { hostName: string; sizeBytes: number; eventCount: number; sealedAt: Date; expiresAt: Date } | null;
}
export interface Rejected {
  path: string;
  message: string;
}

export const MIB = 1024 * 1024;

export interface MigrationsConsole {
  h: Harness;
  viewer: string;
  operator: string;
  admin: string;
  operatorEmail: string;
  streamId: string;
  /** Live shardlets of the stream in hash order (host i % 3). */
  shardlets: Array<{ id: string; hostId: string; epoch: number }>;
  /** The queued jobs of one name: their data and deduplication id. */
  queued: (name: string) => Promise<Array<{ data: unknown; dedup: string | undefined }>>;
  /** A rebalancer's proposal to move shardlet `i` to the next host. */
  propose: (i: number, extra?: Partial<NewMigrationProposal>) => Promise<string>;
  /** The migration as `migrations.get` answers (a viewer asking unless told). */
  get: (id: string, token?: string) => Promise<MigrationOut>;
}

async function startMigrationsConsole(): Promise<MigrationsConsole> {
  const h = await startHarness({ hosts: 3 });
  try {
    return await migrationsConsole(h);
  } catch (err) {
    await h.close();
    throw err;
  }
}

async function migrationsConsole(h: Harness): Promise<MigrationsConsole> {
  const viewer = await h.sessionFor("viewer");
  const operator = await h.sessionFor("operator");
  const admin = await h.sessionFor("admin");
  const operatorEmail = await emailOf(h, operator);
  const created = await h.call<{ id: string }>("mutation", "streams.create", { name: "orders", shardCount: 1, shardletsPerShard: 6 }, operator);
  expect(created.status).toBe(200);
  const streamId = created.data!.id;
  const rows = await h.db.shardlet.findMany({ where: { streamId }, orderBy: { lo: "asc" } });
  const shardlets = rows.map((r) => ({ id: r.id, hostId: r.hostId, epoch: r.epoch }));

  async function queued(name: string) {
    const jobs = await waitingJobs(h);
    return jobs.filter((j) => j.name === name).map((j) => ({ data: j.data, dedup: j.opts.deduplication?.id }));
  }

  async function propose(i: number, extra: Partial<NewMigrationProposal> = {}): Promise<string> {
    const s = shardlets[i]!;
    const dest = h.hostIds[(h.hostIds.indexOf(s.hostId) + 1) % h.hostIds.length]!;
    const r = await createMigrationProposal(h.db, {
      streamId,
      shardletId: s.id,
      sourceHostId: s.hostId,
      destHostId: dest,
      origin: "rebalancer",
      reason: `move ${i}`,
      expectedBenefit: 10,
      expectedLoad: { [s.hostId]: { before: 100, after: 50 }, [dest]: { before: 10, after: 60 } },
      feasibility: { headroom: { ok: true, detail: "fits" }, bandwidth: { ok: true, detail: "fast" }, window: { ok: true, detail: "any time" } },
      bytesToMove: MIB,
      shardletEpoch: s.epoch,
      ...extra,
    });
    expect(r.created).toBe(true);
    return r.id;
  }

  async function get(id: string, token = viewer): Promise<MigrationOut> {
    const res = await h.call<MigrationOut>("query", "migrations.get", { id }, token);
    expect(res.status).toBe(200);
    return res.data!;
  }

  return { h, viewer, operator, admin, operatorEmail, streamId, shardlets, queued, propose, get };
}

/**
 * For a test file: starts the console before its tests and hands it to `ready`, clears migrations,
 * settings and queued jobs (and reactivates every host) before each test, and closes it after them.
 */
export function useMigrationsConsole(ready: (c: MigrationsConsole) => void): void {
  let c: MigrationsConsole | undefined;
  beforeAll(async () => {
    c = await startMigrationsConsole();
    ready(c);
  });
  afterAll(async () => {
    await c?.h.close();
  });
  beforeEach(async () => {
    const { h } = c!;
    await h.db.migrationEvent.deleteMany({});
    await h.db.migration.deleteMany({});
    await h.db.setting.deleteMany({ where: { key: { in: ["rebalance", "migration"] } } });
    await h.db.settingAudit.deleteMany({ where: { key: { in: ["rebalance", "migration"] } } });
    await h.db.host.updateMany({ data: { status: "active" } });
    await h.queue.obliterate({ force: true });
  });
}
