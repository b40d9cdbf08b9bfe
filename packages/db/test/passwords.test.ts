import { randomBytes, scryptSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, verifyCredentials, type ControlDb } from "../src/index.ts";
import { DEFAULT_PASSWORD_HASH_COST } from "@shardcast/core";
import { passwordHashCost } from "../src/env.ts";
import { checkPassword, hashPassword, needsRehash } from "../src/passwords.ts";
import { createTestControlDb } from "../src/testing.ts";

/** A hash as the console wrote it before the cost was raised: scrypt N = 2^12, below any allowed setting. */
function oldFormatHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFKC"), salt, 64, { N: 4096, r: 8, p: 1 });
  return ["scrypt", 4096, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** The N this process hashes at (the tests' environment sets a lower cost than the product's default). */
const currentN = 2 ** passwordHashCost();

describe("password hashes", () => {
  let control: { db: ControlDb; drop: () => Promise<void> };

  beforeAll(async () => {
    control = await createTestControlDb();
  });
  afterAll(async () => {
    await control?.drop();
  });

  it("hashes at N = 2^17 by default, or at the configured cost, with the parameters in the hash", async () => {
    expect(DEFAULT_PASSWORD_HASH_COST).toBe(17);
    const hash = await hashPassword("correct horse", DEFAULT_PASSWORD_HASH_COST);
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(needsRehash(hash)).toBe(false);
    expect(await checkPassword("correct horse", hash)).toBe(true);
    expect(await checkPassword("wrong horse", hash)).toBe(false);
    const configured = await hashPassword("correct horse");
    expect(configured.startsWith(`scrypt$${currentN}$8$1$`)).toBe(true);
    expect(await checkPassword("correct horse", configured)).toBe(true);
  });

  it("refuses a hash whose parameters would need more memory than allowed", async () => {
    const hash = await hashPassword("pw", DEFAULT_PASSWORD_HASH_COST);
    expect(await checkPassword("pw", hash.replace("$131072$", "$1048576$"))).toBe(false);
  });

  it("verifies an old-format hash with its own parameters and upgrades it at sign-in", async () => {
    const db = control.db;
    const user = await createUser(db, { email: "old@example.com", name: "Old", password: "placeholder", role: "viewer" });
    const old = oldFormatHash("old password");
    await db.user.update({ where: { id: user.id }, data: { passwordHash: old } });
    expect(needsRehash(old)).toBe(true);

    expect(await verifyCredentials(db, "old@example.com", "not it")).toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(old);

    const verified = await verifyCredentials(db, "old@example.com", "old password");
    expect(verified?.user.id).toBe(user.id);
    const upgraded = (await db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    expect(upgraded).not.toBe(old);
    expect(upgraded.startsWith(`scrypt$${currentN}$8$1$`)).toBe(true);
    expect(verified?.verifiedHash).toBe(upgraded);
    expect(await verifyCredentials(db, "old@example.com", "old password")).not.toBeNull();
  });

  it("lets both of two sign-ins at once pass while they upgrade the same old hash", async () => {
    const db = control.db;
    const user = await createUser(db, { email: "twice@example.com", name: "Twice", password: "placeholder", role: "viewer" });
    await db.user.update({ where: { id: user.id }, data: { passwordHash: oldFormatHash("old password") } });
    const both = await Promise.all([verifyCredentials(db, "twice@example.com", "old password"), verifyCredentials(db, "twice@example.com", "old password")]);
    const stored = (await db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    // Both answer the hash that is stored now, so each can start its session.
    expect(both.map((v) => v?.verifiedHash)).toEqual([stored, stored]);
  });
});
