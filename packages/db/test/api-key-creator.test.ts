import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adoptApiKey, createApiKey, createUser, listApiKeys, revokeApiKey, setUserRole, verifyApiKey, type ControlDb, type User } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

/** A key grants no more than its creator holds now: keys of a creator demoted from admin are refused until adopted. */
describe("API keys and their creator's role", () => {
  let control: { db: ControlDb; drop: () => Promise<void> };
  let db: ControlDb;
  let boss: User;
  let issuer: User;
  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
    const admin = (name: string) => createUser(db, { email: `${name}@example.com`, name, password: "pw", role: "admin" });
    boss = await admin("boss");
    issuer = await admin("issuer");
  });
  afterAll(async () => {
    await control?.drop();
  });

  const newKey = (name: string, createdById: string | null) => createApiKey(db, { name, streams: ["*"], canProduce: true, canConsume: true, createdById });
  const standing = async (id: string) => (await listApiKeys(db)).find((k) => k.id === id);

  it("refuses a key whose creator is no longer an admin, and adoption by an admin lets it work again", async () => {
    const key = await newKey("demoted-issuer", issuer.id);
    const system = await newKey("system", null);
    expect((await verifyApiKey(db, key.token))?.id).toBe(key.id);

    const change = await setUserRole(db, boss.id, issuer.id, "operator");
    expect(change).toMatchObject({ changed: true, keysStopped: 1, keysRestored: 0 });
    const refused = await verifyApiKey(db, key.token).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: "forbidden" });
    expect(String(refused)).toMatch(/"demoted-issuer".*no longer an admin.*adopt/);
    expect(await standing(key.id)).toMatchObject({ createdById: issuer.id, creatorRefusal: "creator_not_admin" });
    // Keys with no creator are the system's own: no role to lose.
    expect((await verifyApiKey(db, system.token))?.id).toBe(system.id);
    // Nothing about the creator is told to who holds only the prefix.
    expect(await verifyApiKey(db, key.token.slice(0, -4) + "AAAA")).toBeNull();

    expect(await adoptApiKey(db, key.id, boss.id)).toMatchObject({ prefix: key.prefix, previousCreatorEmail: issuer.email, changed: true });
    expect((await verifyApiKey(db, key.token))?.id).toBe(key.id);
    expect(await standing(key.id)).toMatchObject({ createdById: boss.id, createdByEmail: boss.email, creatorRefusal: null });
  });

  it("counts the keys that work again when their creator is made an admin again", async () => {
    const user = await createUser(db, { email: "returning@example.com", name: "returning", password: "pw", role: "admin" });
    const key = await newKey("returning", user.id);
    await setUserRole(db, boss.id, user.id, "viewer");
    await expect(verifyApiKey(db, key.token)).rejects.toMatchObject({ code: "forbidden" });
    expect(await setUserRole(db, boss.id, user.id, "admin")).toMatchObject({ keysStopped: 0, keysRestored: 1 });
    expect((await verifyApiKey(db, key.token))?.id).toBe(key.id);
  });

  it("refuses to adopt a revoked key, an unknown key, or for an actor who is not an admin", async () => {
    const revoked = await newKey("revoked", null);
    await revokeApiKey(db, revoked.id);
    const refused = await adoptApiKey(db, revoked.id, boss.id).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: "conflict" });
    expect(String(refused)).toMatch(/revoked/);
    expect(await standing(revoked.id)).toMatchObject({ createdById: null });
    await expect(adoptApiKey(db, "missing", boss.id)).rejects.toMatchObject({ code: "not_found" });

    const kept = await newKey("kept", boss.id);
    // `issuer` was demoted to operator above.
    await expect(adoptApiKey(db, kept.id, issuer.id)).rejects.toMatchObject({ code: "forbidden" });
    expect(await standing(kept.id)).toMatchObject({ createdById: boss.id });
  });
});
