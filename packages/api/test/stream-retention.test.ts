import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

/** A stream's retention as the console API takes it: hours and an optional size cap, checked per field. */
describe("stream retention", () => {
  let h: Harness;
  let operator: string;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness();
    operator = await h.sessionFor("operator");
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  it("refuses a size cap or retention that is not a positive amount, naming the field", async () => {
    const capped = (retentionBytes: unknown) => h.call("mutation", "streams.create", { name: "capped", shardCount: 1, retentionBytes }, operator);
    for (const bad of [0, -5, 1.5, 100, "1GB"]) {
      const res = await capped(bad);
      expect(res.status, String(bad)).toBe(400);
      expect(res.error?.data.scCode).toBe("validation_failed");
      expect(res.error?.data.details?.rejected?.map((r) => r.path)).toEqual(["retentionBytes"]);
    }
    expect((await capped(1024)).error?.message ?? "").toBe("");
    const short = await h.call("mutation", "streams.create", { name: "short", shardCount: 1, retentionHours: 0.001 }, operator);
    expect(short.status).toBe(400);
    expect(short.error?.message).toContain("retentionHours: retention must be at least 1 minute");
  });

  it("stores the cap and minutes of retention, and shows them with the stream's retention figures", async () => {
    const res = await h.call("mutation", "streams.create", { name: "kept", shardCount: 1, retentionHours: 0.5, retentionBytes: 64 * 1024 * 1024 }, operator);
    expect(res.status).toBe(200);
    const got = await h.call<{ stream: { retentionHours: number; retentionBytes: number | null }; retention: { startSeq: number; freedBytes: number; oldestEventAt: string | null } }>(
      "query",
      "streams.get",
      { name: "kept" },
      operator,
    );
    expect(got.data?.stream).toMatchObject({ retentionHours: 0.5, retentionBytes: 64 * 1024 * 1024 });
    expect(got.data?.retention).toMatchObject({ startSeq: 0, freedBytes: 0, oldestEventAt: null });
    const list = await h.call<{ streams: Array<{ name: string; retentionBytes: number | null }> }>("query", "streams.list", undefined, operator);
    expect(list.data?.streams.find((s) => s.name === "kept")?.retentionBytes).toBe(64 * 1024 * 1024);
  });

  it("keeps the retention settings, validated and audited, for admins", async () => {
    const bad = await h.call("mutation", "streams.updateRetentionSettings", { partitionSpanSec: 0 }, admin);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toContain("partition span must be at least 1 second");
    expect((await h.call("mutation", "streams.updateRetentionSettings", { partitionSpanSec: 3_600 }, operator)).status).toBe(403);
    expect((await h.call("mutation", "streams.updateRetentionSettings", { partitionSpanSec: 3_600 }, admin)).status).toBe(200);
    const got = await h.call<{ settings: { partitionSpanSec: number; partitionsAhead: number }; defaults: { partitionSpanSec: number } }>("query", "streams.retentionSettings", undefined, operator);
    expect(got.data).toMatchObject({ settings: { partitionSpanSec: 3_600, partitionsAhead: 2 }, defaults: { partitionSpanSec: 6 * 3_600 } });
  });
});
