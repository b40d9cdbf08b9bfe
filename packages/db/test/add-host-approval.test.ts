import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveAddHostProposal, claimAddHostProvision, getAnalyzerProposal, recordAnalyzerRun, replaceAnalyzerProposals, type ControlDb } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

/**
 * An add-host approval whose job could not be queued is undone, but the job may have been queued
 * after all (its reply lost) and be running already: the undo and the worker's claim race, and
 * exactly one of them may win, or a second approval would provision a second host.
 */
describe("add-host approval and the provisioning claim", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let db: ControlDb;
  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });

  async function openAddHost(): Promise<string> {
    const now = Date.now();
    const run = await recordAnalyzerRun(db, { at: new Date(now), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [] });
    await replaceAnalyzerProposals(db, run.id, [{ kind: "add_host", urgencySec: 600, reason: "test", details: { count: 1 } }], { streamIds: null });
    return (await db.analyzerProposal.findFirstOrThrow({ where: { runId: run.id } })).id;
  }

  it("keeps the approval when the job claimed it before the undo, and answers the job's id", async () => {
    const id = await openAddHost();
    let named = "";
    const res = await approveAddHostProposal(db, id, "ops@example.com", async (approvedAt, jobId) => {
      named = jobId;
      // The job ran while its add's reply was on the way, then the reply was lost.
      expect(await claimAddHostProvision(db, id, approvedAt, Date.now())).toBe(true);
      throw new Error("Connection is closed.");
    });
    expect(res.jobId).toBe(named);
    const p = await getAnalyzerProposal(db, id);
    expect(p!.status).toBe("applied");
    expect(p!.details?.provision).toMatchObject({ status: "running" });
  });

  it("refuses the job of an undone approval, and a second claim of one approval", async () => {
    const id = await openAddHost();
    let first = "";
    await expect(
      approveAddHostProposal(db, id, "ops@example.com", (approvedAt) => {
        first = approvedAt;
        return Promise.reject(new Error("Connection is closed."));
      }),
    ).rejects.toThrow(/open again/);
    expect((await getAnalyzerProposal(db, id))!.status).toBe("open");
    // The lost job starts now: its approval was undone.
    expect(await claimAddHostProvision(db, id, first, Date.now())).toBe(false);
    const again = await approveAddHostProposal(db, id, "ops@example.com", (_approvedAt, jobId) => Promise.resolve(jobId));
    const second = (await getAnalyzerProposal(db, id))!.decidedAt!.toISOString();
    expect(again.jobId).toMatch(/^provision-/);
    expect(await claimAddHostProvision(db, id, first, Date.now())).toBe(false);
    expect(await claimAddHostProvision(db, id, second, Date.now())).toBe(true);
    expect(await claimAddHostProvision(db, id, second, Date.now())).toBe(false);
  });

  it("leaves the proposal open when its queued note cannot be written", async () => {
    const id = await openAddHost();
    // The note's write fails (a lost connection, say) after the approval was accepted.
    await db.$executeRawUnsafe(`
      CREATE FUNCTION refuse_provision_note() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${id}' AND NEW.details ? 'provision' THEN RAISE EXCEPTION 'note refused'; END IF;
        RETURN NEW;
      END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_provision_note BEFORE UPDATE ON analyzer_proposals FOR EACH ROW EXECUTE FUNCTION refuse_provision_note()`);
    try {
      let queued = false;
      await expect(
        approveAddHostProposal(db, id, "ops@example.com", (_approvedAt, jobId) => {
          queued = true;
          return Promise.resolve(jobId);
        }),
      ).rejects.toThrow(/note refused/);
      expect(queued).toBe(false);
      const p = await getAnalyzerProposal(db, id);
      expect(p).toMatchObject({ status: "open", decidedBy: null, decidedAt: null });
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER refuse_provision_note ON analyzer_proposals`);
      await db.$executeRawUnsafe(`DROP FUNCTION refuse_provision_note()`);
    }
    const again = await approveAddHostProposal(db, id, "ops@example.com", (_approvedAt, jobId) => Promise.resolve(jobId));
    expect(again.proposal).toMatchObject({ status: "applied", decidedBy: "ops@example.com", details: { provision: { status: "queued" } } });
  });
});
