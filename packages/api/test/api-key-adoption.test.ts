import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createUser, listOperations, revokeApiKey, verifyApiKey } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import { nextMessage, startHarness, type Harness } from "./harness.ts";

/** A demoted admin's keys stop working: the role change says how many, and another admin can adopt them. */

type RoleChange = { user: { role: string }; sessionsEnded: number; keysStopped: number; keysRestored: number };
type KeyRow = { id: string; createdByEmail: string | null; creatorRefusal: string | null };

describe("API keys of a demoted admin", () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ hosts: 0 });
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h?.close();
  });

  const newIssuer = () => createUser(h.db, { email: `issuer-${randomUUID().slice(0, 8)}@example.com`, name: "issuer", password: "password-123", role: "admin" });
  const newKey = (createdById: string) => createApiKey(h.db, { name: `key-${randomUUID().slice(0, 8)}`, streams: ["*"], canProduce: true, canConsume: true, createdById });
  const keyRow = async (id: string) => (await h.call<{ keys: KeyRow[] }>("query", "apikeys.list", undefined, admin)).data?.keys.find((k) => k.id === id);

  it("set-role reports and announces the keys that stop working, and those that work again", async () => {
    const issuer = await newIssuer();
    const key = await newKey(issuer.id);
    const revoked = await newKey(issuer.id);
    await revokeApiKey(h.db, revoked.id);
    const users = await h.call<{ users: Array<{ id: string; activeApiKeys: number }> }>("query", "users.list", undefined, admin);
    expect(users.data?.users.find((u) => u.id === issuer.id)?.activeApiKeys).toBe(1);

    let demoted: RoleChange | undefined;
    // Edges cached the key's grant: the role change must make them look it up again.
    const message = await nextMessage(apiKeyChannel(h.prefix), async () => {
      demoted = (await h.call<RoleChange>("mutation", "users.setRole", { id: issuer.id, role: "operator" }, admin)).data;
    });
    expect(message).toEqual({ prefix: key.prefix });
    expect(demoted).toMatchObject({ user: { role: "operator" }, keysStopped: 1, keysRestored: 0 });
    const op = (await listOperations(h.db, { limit: 1, kind: "user.role" }))[0];
    expect(op?.message).toMatch(/1 API key\(s\) they created stop working/);
    expect(op?.details).toMatchObject({ userId: issuer.id, keysStopped: 1 });
    expect(await keyRow(key.id)).toMatchObject({ createdByEmail: issuer.email, creatorRefusal: "creator_not_admin" });

    const promoted = await h.call<RoleChange>("mutation", "users.setRole", { id: issuer.id, role: "admin" }, admin);
    expect(promoted.data).toMatchObject({ keysStopped: 0, keysRestored: 1 });
    expect(await keyRow(key.id)).toMatchObject({ creatorRefusal: null });
  });

  it("adopting makes the acting admin the creator, announces the key and records it; a revoked key is refused 409", async () => {
    const issuer = await newIssuer();
    const key = await newKey(issuer.id);
    await h.call("mutation", "users.setRole", { id: issuer.id, role: "viewer" }, admin);
    await expect(verifyApiKey(h.db, key.token)).rejects.toMatchObject({ code: "forbidden" });

    const message = await nextMessage(apiKeyChannel(h.prefix), async () => {
      expect((await h.call("mutation", "apikeys.adopt", { id: key.id }, admin)).status).toBe(200);
    });
    expect(message).toEqual({ prefix: key.prefix });
    expect((await verifyApiKey(h.db, key.token))?.id).toBe(key.id);
    const adminEmail = (await h.call<{ user: { email: string } }>("query", "auth.me", undefined, admin)).data?.user.email;
    expect(await keyRow(key.id)).toMatchObject({ createdByEmail: adminEmail, creatorRefusal: null });
    const op = (await listOperations(h.db, { limit: 1, kind: "apikey.adopt" }))[0];
    expect(op).toMatchObject({ actor: adminEmail, details: { keyId: key.id, prefix: key.prefix, previousCreator: issuer.email } });

    await revokeApiKey(h.db, key.id);
    const refused = await h.call("mutation", "apikeys.adopt", { id: key.id }, admin);
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/revoked/);
    expect((await h.call("mutation", "apikeys.adopt", { id: key.id }, await h.sessionFor("operator"))).status).toBe(403);
  });
});
