import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "@shardcast/core";
import { createApiKey, createUser, getLifecycleSettings, getRebalanceSettings, listApiKeys } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { startHarness, type ApiCaller, type Harness } from "./harness.ts";

/**
 * A request's role is read when it starts. These are requests that started while their user held
 * the role and reach the database after an admin disabled or demoted that user: every change that
 * grants access or configures the cluster must be refused then and store nothing.
 */
describe("changes by a user disabled or demoted while the request was under way", () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ hosts: 0 });
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  /** A caller whose session says `role`, for a user an admin then changes with `change`. */
  async function inFlight(role: Role, change: (id: string) => Promise<unknown>): Promise<ApiCaller> {
    const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
    const user = await createUser(h.db, { email, name: role, password: "password-123", role });
    const caller = h.callerFor({ id: user.id, email, name: role, role });
    await change(user.id);
    return caller;
  }
  const disable = async (id: string) => expect((await h.call("mutation", "users.disable", { id }, admin)).status).toBe(200);
  const demote = (role: Role) => async (id: string) => expect((await h.call("mutation", "users.setRole", { id, role }, admin)).status).toBe(200);

  it("refuses API key changes by a disabled admin", async () => {
    const key = await createApiKey(h.db, { name: "victim", streams: ["*"], canProduce: true, canConsume: true, createdById: null });
    const before = await listApiKeys(h.db);
    const asB = await inFlight("admin", disable);

    // A key minted now would outlive the admin's disabling: the one way back in.
    await expect(asB.apikeys.create({ name: "backdoor", streams: ["*"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(asB.apikeys.revoke({ id: key.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const quota = { produceEventsPerSec: 1, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null };
    await expect(asB.apikeys.setQuota({ id: key.id, quota })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await listApiKeys(h.db)).toEqual(before);

    // An active admin's changes go through.
    expect((await h.call("mutation", "apikeys.setQuota", { id: key.id, quota }, admin)).status).toBe(200);
    expect((await h.call("mutation", "apikeys.revoke", { id: key.id }, admin)).status).toBe(200);
  });

  it("refuses settings saved by a demoted admin or operator, and keeps what the new role still allows", async () => {
    const rebalance = await getRebalanceSettings(h.db);
    const lifecycle = await getLifecycleSettings(h.db);
    const asDemotedAdmin = await inFlight("admin", demote("operator"));
    await expect(asDemotedAdmin.migrations.updateSettings({ rebalance: { tolerance: 0.33 } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await getRebalanceSettings(h.db)).toEqual(rebalance);

    const asDemotedOperator = await inFlight("operator", demote("viewer"));
    await expect(asDemotedOperator.settings.update({ splitWriteRate: lifecycle.splitWriteRate + 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await getLifecycleSettings(h.db)).toEqual(lifecycle);

    // Demoted to operator, an admin's operator-level change still stands.
    const r = await asDemotedAdmin.settings.update({ splitWriteRate: lifecycle.splitWriteRate + 1 });
    expect(r.changed).toEqual(["splitWriteRate"]);
  });

  it("registers no host for a disabled admin", async () => {
    const extra = await createTestHostDb();
    try {
      const asB = await inFlight("admin", disable);
      await expect(asB.hosts.register({ name: "h-late", dsn: extra.dsn })).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(await h.db.host.count({ where: { dsn: extra.dsn } })).toBe(0);
      // The database is free for a registration by an active admin.
      expect((await h.call("mutation", "hosts.register", { name: "h-now", dsn: extra.dsn }, admin)).status).toBe(200);
    } finally {
      await h.hosts.closeAll();
      await extra.drop().catch(() => undefined);
    }
  });
});
