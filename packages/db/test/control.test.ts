import { ShardcastError } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyAllowsGroup,
  apiKeyAllowsStream,
  countUsers,
  createApiKey,
  createSession,
  createUser,
  deleteSession,
  getSessionUser,
  getSettings,
  listApiKeys,
  listOperations,
  listSettingAudit,
  metricSeries,
  recordMetric,
  recordOperation,
  finishOperation,
  revokeApiKey,
  updateSetting,
  verifyApiKey,
  verifyCredentials,
  type ControlDb,
} from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

describe("control-plane domain", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };
  let db: ControlDb;

  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });

  describe("users and sessions", () => {
    it("creates a user, checks the password and round-trips a session", async () => {
      expect(await countUsers(db)).toBe(0);
      const user = await createUser(db, { email: " Ada@Example.com ", name: "Ada", password: "correct horse", role: "admin" });
      expect(user).toMatchObject({ email: "ada@example.com", name: "Ada", role: "admin" });
      expect(user).not.toHaveProperty("passwordHash");
      expect(await countUsers(db)).toBe(1);
      const stored = await db.user.findUniqueOrThrow({ where: { id: user.id } });
      expect(stored.passwordHash).toMatch(/^scrypt\$/);
      expect(stored.passwordHash).not.toContain("correct horse");

      expect(await verifyCredentials(db, "ada@example.com", "wrong")).toBeNull();
      expect(await verifyCredentials(db, "nobody@example.com", "correct horse")).toBeNull();
      const ok = await verifyCredentials(db, "ADA@example.com", "correct horse");
      expect(ok?.user.id).toBe(user.id);
      expect(ok?.verifiedHash).toBe(stored.passwordHash);

      const { token, expiresAt } = await createSession(db, user.id);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
      // Only the hash is stored.
      expect(await db.session.count({ where: { id: token } })).toBe(0);
      expect(await getSessionUser(db, token)).toEqual({ id: user.id, email: "ada@example.com", name: "Ada", role: "admin" });
      expect(await getSessionUser(db, token + "x")).toBeNull();
      await deleteSession(db, token);
      expect(await getSessionUser(db, token)).toBeNull();

      const expired = await createSession(db, user.id, -1000);
      expect(await getSessionUser(db, expired.token)).toBeNull();
    });

    it("rejects a duplicate email as a conflict", async () => {
      const err = await createUser(db, { email: "ada@example.com", name: "Other", password: "x", role: "viewer" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShardcastError);
      expect((err as ShardcastError).code).toBe("conflict");
    });
  });

  describe("API keys", () => {
    it("verifies, lists and revokes a key", async () => {
      const created = await createApiKey(db, { name: "ingest", streams: ["orders"], canProduce: true, canConsume: false, createdById: null });
      expect(created.token).toMatch(new RegExp(`^sc_${created.prefix}_[A-Za-z0-9_-]{43}$`));
      const grant = await verifyApiKey(db, created.token);
      expect(grant).toEqual({
        id: created.id,
        name: "ingest",
        streams: ["orders"],
        canProduce: true,
        canConsume: false,
        // Any consumer group unless scoped.
        consumerGroups: [],
        // A new key has no rate limits until an admin sets them.
        quota: { produceEventsPerSec: null, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null },
      });
      expect(apiKeyAllowsStream(grant!, "orders")).toBe(true);
      expect(apiKeyAllowsStream(grant!, "payments")).toBe(false);
      expect(apiKeyAllowsGroup(grant!, "billing")).toBe(true);
      expect(apiKeyAllowsGroup({ consumerGroups: ["ledger"] }, "billing")).toBe(false);

      const row = await db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
      expect(row.lastUsedAt).toBeInstanceOf(Date);
      expect(row.secretHash).not.toContain(created.token.split("_").slice(2).join("_"));
      // A second verify within the minute does not rewrite lastUsedAt.
      await verifyApiKey(db, created.token);
      const again = await db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
      expect(again.lastUsedAt?.getTime()).toBe(row.lastUsedAt?.getTime());

      const tampered = created.token.slice(0, -2) + (created.token.endsWith("AA") ? "BB" : "AA");
      expect(await verifyApiKey(db, tampered)).toBeNull();
      expect(await verifyApiKey(db, "sc_0000000000_" + "x".repeat(43))).toBeNull();
      expect(await verifyApiKey(db, "not a key")).toBeNull();

      const list = await listApiKeys(db);
      expect(list.find((k) => k.id === created.id)).toMatchObject({ prefix: created.prefix, revokedAt: null });
      expect(JSON.stringify(list)).not.toContain(created.token);

      await revokeApiKey(db, created.id);
      expect(await verifyApiKey(db, created.token)).toBeNull();
      expect((await listApiKeys(db)).find((k) => k.id === created.id)?.revokedAt).toBeInstanceOf(Date);
      await expect(revokeApiKey(db, "missing")).rejects.toMatchObject({ code: "not_found" });
    });
  });

  describe("settings", () => {
    it("updates a setting and writes the audit trail", async () => {
      const user = await createUser(db, { email: "ops@example.com", name: "Ops", password: "pw", role: "admin" });
      await updateSetting(db, "split_threshold", 0.8, { id: user.id, email: user.email });
      await updateSetting(db, "split_threshold", 0.75, { id: user.id, email: user.email });
      await updateSetting(db, "planner", { enabled: true, horizonMin: 30 }, null);
      expect(await getSettings(db)).toEqual({ split_threshold: 0.75, planner: { enabled: true, horizonMin: 30 } });
      const audit = await listSettingAudit(db, { limit: 10, key: "split_threshold" });
      expect(audit.map((a) => [a.oldValue, a.newValue, a.actorEmail])).toEqual([
        [0.8, 0.75, "ops@example.com"],
        [null, 0.8, "ops@example.com"],
      ]);
      expect(typeof audit[0]?.id).toBe("number");
    });
  });

  describe("operations and metrics", () => {
    it("records and lists operations newest first", async () => {
      const a = await recordOperation(db, { kind: "host.register", status: "succeeded", message: "registered h1", details: { n: 1 } });
      const b = await recordOperation(db, { kind: "shardlet.split", status: "running", message: "splitting" });
      await finishOperation(db, b.id, { status: "failed", message: "lost the op-lock" });
      const all = await listOperations(db, { limit: 10 });
      expect(all.map((o) => o.id)).toEqual([b.id, a.id]);
      expect(all[0]).toMatchObject({ status: "failed", message: "lost the op-lock" });
      expect(all[0]?.finishedAt).toBeInstanceOf(Date);
      expect(all[1]?.details).toEqual({ n: 1 });
      expect((await listOperations(db, { limit: 10, kind: "shardlet." })).map((o) => o.id)).toEqual([b.id]);
      expect((await listOperations(db, { limit: 10, kind: "host.register" })).map((o) => o.id)).toEqual([a.id]);
    });

    it("records metrics and returns a series since a time", async () => {
      const now = Date.now();
      await recordMetric(db, { name: "ingest.events_per_s", value: 1, at: now - 60_000 });
      await recordMetric(db, { name: "ingest.events_per_s", value: 2, at: now - 1_000 });
      await recordMetric(db, { name: "ingest.events_per_s", value: 3, at: now });
      await recordMetric(db, { name: "host.size_bytes", value: 9, at: now });
      const series = await metricSeries(db, "ingest.events_per_s", now - 10_000);
      expect(series.map((p) => p.value)).toEqual([2, 3]);
      expect(series[1]?.at).toBe(now);
    });
  });
});
