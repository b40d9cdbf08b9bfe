import { describe, expect, it } from "vitest";
import {
  checkMigrationPremise,
  checkMigrationProposal,
  checkMigrationWindow,
  migrateProposalIsStale,
  parseMigrateDetails,
  ShardcastError,
  staleProposalReason,
  type NewMigrationProposal,
} from "../src/index.ts";

const proposal: NewMigrationProposal = {
  streamId: "s1",
  shardletId: "sl1",
  sourceHostId: "h1",
  destHostId: "h2",
  origin: "rebalancer",
  reason: "h1 is hot",
  expectedBenefit: 0.2,
  expectedLoad: {},
  feasibility: {},
  bytesToMove: 1024,
  shardletEpoch: 3,
};

function rejected(fn: () => void): { code: string; paths: string[] } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ShardcastError)) throw err;
    const list = (err.details as { rejected?: Array<{ path: string }> } | undefined)?.rejected ?? [];
    return { code: err.code, paths: list.map((r) => r.path) };
  }
  throw new Error("expected a rejection");
}

describe("migration proposal checks", () => {
  it("accepts a complete proposal", () => {
    expect(() => checkMigrationProposal(proposal)).not.toThrow();
    expect(() => checkMigrationProposal({ ...proposal, urgencySec: 60, phase: "approved" })).not.toThrow();
  });

  it("names every bad field at once", () => {
    const r = rejected(() =>
      checkMigrationProposal({ ...proposal, shardletId: "", destHostId: "h1", reason: "  ", bytesToMove: -1, shardletEpoch: 1.5, urgencySec: Number.NaN }),
    );
    expect(r.code).toBe("validation_failed");
    expect(r.paths).toEqual(["shardletId", "destHostId", "reason", "bytesToMove", "shardletEpoch", "urgencySec"]);
  });

  it("refuses an unknown origin or phase", () => {
    const r = rejected(() => checkMigrationProposal({ ...proposal, origin: "cron" as NewMigrationProposal["origin"], phase: "copying" as NewMigrationProposal["phase"] }));
    expect(r.paths).toEqual(["origin", "phase"]);
  });
});

describe("migration windows", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const at = (iso: string) => new Date(iso);

  it("accepts a window that starts soon (a minute late is fine) and ends after it starts", () => {
    expect(() => checkMigrationWindow({ start: at("2026-01-01T02:00:00Z"), end: at("2026-01-01T04:00:00Z") }, now)).not.toThrow();
    expect(() => checkMigrationWindow({ start: at("2025-12-31T23:59:30Z"), end: at("2026-01-01T01:00:00Z") }, now)).not.toThrow();
  });

  it("rejects missing, past, inverted and far-off windows", () => {
    expect(rejected(() => checkMigrationWindow({ start: new Date(Number.NaN), end: new Date(Number.NaN) }, now)).paths).toEqual(["windowStart", "windowEnd"]);
    expect(rejected(() => checkMigrationWindow({ start: at("2025-12-31T00:00:00Z"), end: at("2025-12-30T00:00:00Z") }, now)).paths).toEqual(["windowStart", "windowEnd"]);
    expect(rejected(() => checkMigrationWindow({ start: at("2026-06-01T00:00:00Z"), end: at("2026-06-02T00:00:00Z") }, now)).paths).toEqual(["windowStart"]);
  });
});

describe("a proposal's premise", () => {
  const premise = { sourceHostId: "h1", shardletEpoch: 3 };
  const shardlet = { state: "active", epoch: 3, hostId: "h1" };
  const dest = { status: "active", name: "pg-2" };

  it("holds while the shardlet and destination are as proposed", () => {
    expect(() => checkMigrationPremise(premise, shardlet, dest)).not.toThrow();
    expect(staleProposalReason({ ...premise, createdAt: new Date(0) }, shardlet, dest, { now: new Date(60_000), ttlMs: 3_600_000 })).toBeNull();
  });

  it("fails as a stale conflict when the shardlet is gone, moved or changed", () => {
    for (const s of [null, { ...shardlet, state: "retired" }, { ...shardlet, hostId: "h3" }, { ...shardlet, epoch: 4 }]) {
      expect(() => checkMigrationPremise(premise, s, dest)).toThrow(expect.objectContaining({ code: "conflict", details: { reason: "stale" } }));
    }
  });

  it("fails when the destination is gone or not active", () => {
    expect(() => checkMigrationPremise(premise, shardlet, null)).toThrow(/no longer registered/);
    expect(() => checkMigrationPremise(premise, shardlet, { status: "draining", name: "pg-2" })).toThrow(/pg-2 is draining/);
  });

  it("gives the reason an open proposal is withdrawn", () => {
    const m = { ...premise, createdAt: new Date(0) };
    const opts = { now: new Date(60_000), ttlMs: 3_600_000 };
    expect(staleProposalReason(m, undefined, dest, opts)).toMatch(/no longer exists/);
    expect(staleProposalReason(m, { ...shardlet, epoch: 5 }, dest, opts)).toBe("the shardlet changed since (epoch 3 -> 5)");
    expect(staleProposalReason(m, shardlet, undefined, opts)).toBe("the destination host is gone");
    expect(staleProposalReason(m, shardlet, dest, { now: new Date(7_200_000), ttlMs: 3_600_000 })).toMatch(/nobody decided within 60 min/);
  });
});

describe("analyzer migrate proposals", () => {
  it("reads stored details, treating what is missing or malformed as none", () => {
    expect(parseMigrateDetails(null)).toEqual({ bytesToMove: 0, expectedLoad: {}, feasibility: {}, shardletEpoch: 0 });
    expect(parseMigrateDetails({ bytesToMove: 10, shardletEpoch: Number.NaN, expectedLoad: null, feasibility: { h2: { ok: true, detail: "" } } })).toEqual({
      bytesToMove: 10,
      expectedLoad: {},
      feasibility: { h2: { ok: true, detail: "" } },
      shardletEpoch: 0,
    });
  });

  it("is stale when the shardlet left its host, stopped being active or changed epoch", () => {
    const d = parseMigrateDetails({ shardletEpoch: 3 });
    const s = { state: "active", epoch: 3, hostId: "h1" };
    expect(migrateProposalIsStale({ sourceHostId: "h1" }, d, s)).toBe(false);
    expect(migrateProposalIsStale({ sourceHostId: "h1" }, d, null)).toBe(true);
    expect(migrateProposalIsStale({ sourceHostId: "h1" }, d, { ...s, state: "splitting" })).toBe(true);
    expect(migrateProposalIsStale({ sourceHostId: "h2" }, d, s)).toBe(true);
    expect(migrateProposalIsStale({ sourceHostId: "h1" }, d, { ...s, epoch: 4 })).toBe(true);
    expect(migrateProposalIsStale({ sourceHostId: "h1" }, parseMigrateDetails({}), { ...s, epoch: 4 })).toBe(false);
  });
});
