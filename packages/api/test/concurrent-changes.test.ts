import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHostDb } from "@shardcast/db/testing";
import { startHarness, type Harness } from "./harness.ts";

/**
 * Checks that only hold when requests come one at a time: the same change sent at the same moment
 * must still be made once, the others refused as if they came after it.
 */
describe("concurrent console changes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
  });
  afterAll(async () => {
    await h.close();
  });

  it("makes one first admin when several setups arrive at once", async () => {
    const setups = await Promise.all(
      Array.from({ length: 4 }, (_, i) => h.call("mutation", "auth.setupAdmin", { email: `first-${i}@example.com`, name: "First", password: "a-long-password" })),
    );
    expect(setups.map((r) => r.status).sort()).toEqual([200, 403, 403, 403]);
    for (const refused of setups.filter((r) => r.status === 403)) {
      expect(refused.error?.message).toBe("Setup is already done. Sign in instead.");
      expect(refused.setCookie).toBeNull();
    }
    expect(await h.db.user.count()).toBe(1);
  });

  it("registers one host when two registrations of the same database arrive at once", async () => {
    const admin = await h.sessionFor("admin");
    const extra = await createTestHostDb();
    try {
      const regs = await Promise.all(["h-same-a", "h-same-b"].map((name) => h.call("mutation", "hosts.register", { name, dsn: extra.dsn }, admin)));
      expect(regs.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(regs.find((r) => r.status === 409)?.error?.message).toMatch(/^host "h-same-[ab]" already uses this database$/);
      expect(await h.db.host.count({ where: { dsn: extra.dsn } })).toBe(1);
    } finally {
      await h.hosts.closeAll();
      await extra.drop().catch(() => undefined);
    }
  });
});
