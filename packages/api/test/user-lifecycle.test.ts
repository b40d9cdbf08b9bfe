import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "@shardcast/core";
import { changeOwnPassword, createApiKey, createSession, createSessionIfCredentials, createUser, listOperations, listUsers, setUserDisabled, setUserRole, verifyCredentials } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import { PEER_HEADER } from "../src/index.ts";
import { nextMessage, startHarness, tokenFrom, type Harness } from "./harness.ts";

/** Disabling users, changing roles and passwords, and ending sign-in sessions. */

const PASSWORD = "password-123";

interface TestUser {
  id: string;
  email: string;
}

async function newUser(h: Harness, role: Role): Promise<TestUser> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
  const user = await createUser(h.db, { email, name: role, password: PASSWORD, role });
  return { id: user.id, email };
}

async function signIn(h: Harness, email: string, password = PASSWORD): Promise<string> {
  const res = await h.call("mutation", "auth.signIn", { email, password });
  const token = tokenFrom(res.setCookie);
  if (!token) throw new Error(`sign-in failed: ${JSON.stringify(res.error)}`);
  return token;
}

/** The status a console read gets with this session: 200 while it lives, 401 once it ended. */
async function readStatus(h: Harness, token: string): Promise<number> {
  return (await h.call("query", "streams.list", undefined, token)).status;
}

async function lastOperation(h: Harness, kind: string) {
  return (await listOperations(h.db, { limit: 1, kind }))[0];
}

describe("user lifecycle", () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ hosts: 0 });
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  it("lets only admins disable, enable and change roles", async () => {
    const target = await newUser(h, "viewer");
    for (const role of ["viewer", "operator"] as const) {
      const token = await h.sessionFor(role);
      for (const [path, input] of [
        ["users.disable", { id: target.id }],
        ["users.enable", { id: target.id }],
        ["users.setRole", { id: target.id, role: "admin" }],
      ] as const) {
        const res = await h.call("mutation", path, input, token);
        expect(res.status, `${role} ${path}`).toBe(403);
        expect(res.error?.message).toBe("This action needs the admin role.");
      }
    }
    expect((await h.call("mutation", "users.disable", { id: target.id })).status).toBe(401);
    const row = (await listUsers(h.db)).find((u) => u.id === target.id);
    expect(row).toMatchObject({ role: "viewer", disabledAt: null });
  });

  it("disabling ends every session of the user at once and keeps it from signing in until enabled", async () => {
    const user = await newUser(h, "operator");
    const laptop = await signIn(h, user.email);
    const phone = await signIn(h, user.email);
    expect(await readStatus(h, laptop)).toBe(200);

    const res = await h.call<{ user: { disabledAt: Date | null }; sessionsEnded: number }>("mutation", "users.disable", { id: user.id }, admin);
    expect(res.status).toBe(200);
    expect(res.data?.sessionsEnded).toBe(2);
    expect(res.data?.user.disabledAt).toBeInstanceOf(Date);
    expect(await readStatus(h, laptop)).toBe(401);
    expect(await readStatus(h, phone)).toBe(401);
    const refused = await h.call("mutation", "auth.signIn", { email: user.email, password: PASSWORD });
    expect(refused.status).toBe(401);
    expect(refused.setCookie).toBeNull();
    expect(await lastOperation(h, "user.disable")).toMatchObject({ actor: await emailOfAdmin(), details: { userId: user.id, sessionsEnded: 2 } });

    // Disabling again changes nothing and records nothing new.
    const before = await listOperations(h.db, { limit: 100, kind: "user.disable" });
    expect((await h.call("mutation", "users.disable", { id: user.id }, admin)).status).toBe(200);
    expect(await listOperations(h.db, { limit: 100, kind: "user.disable" })).toHaveLength(before.length);

    const enabled = await h.call<{ user: { disabledAt: Date | null } }>("mutation", "users.enable", { id: user.id }, admin);
    expect(enabled.status).toBe(200);
    expect(enabled.data?.user.disabledAt).toBeNull();
    expect(await lastOperation(h, "user.enable")).toMatchObject({ details: { userId: user.id } });
    // Sessions ended stay ended; the user signs in afresh.
    expect(await readStatus(h, laptop)).toBe(401);
    expect(await readStatus(h, await signIn(h, user.email))).toBe(200);
  });

  it("announces the keys a user created when it is disabled or enabled, so edges drop what they cached", async () => {
    const owner = await newUser(h, "admin");
    const key = await createApiKey(h.db, { name: "owned", streams: ["*"], canProduce: true, canConsume: true, createdById: owner.id });
    for (const path of ["users.disable", "users.enable"] as const) {
      const message = await nextMessage(apiKeyChannel(h.prefix), async () => {
        expect((await h.call("mutation", path, { id: owner.id }, admin)).status).toBe(200);
      });
      expect(message, path).toEqual({ prefix: key.prefix });
    }
  });

  it("refuses a session of a disabled user even when one was stored after the disable", async () => {
    const user = await newUser(h, "viewer");
    expect((await h.call("mutation", "users.disable", { id: user.id }, admin)).status).toBe(200);
    // What a sign-in whose password check passed just before the disable would store.
    const late = await createSession(h.db, user.id);
    expect(await readStatus(h, late.token)).toBe(401);
  });

  it("starts no session for a sign-in whose password was changed after its check", async () => {
    const user = await newUser(h, "viewer");
    const verified = await verifyCredentials(h.db, user.email, PASSWORD);
    if (!verified) throw new Error("the password check failed");
    expect(await changeOwnPassword(h.db, user.id, { current: PASSWORD, next: "changed-password" }, null)).toEqual({ sessionsEnded: 0 });
    expect(await createSessionIfCredentials(h.db, user.id, verified.verifiedHash)).toBeNull();
    expect((await listUsers(h.db)).find((u) => u.id === user.id)?.lastLoginAt).toBeNull();
    expect(await readStatus(h, await signIn(h, user.email, "changed-password"))).toBe(200);
  });

  it("of two password changes at once, applies one and answers the other 409", async () => {
    const user = await newUser(h, "viewer");
    const token = await signIn(h, user.email);
    const change = (next: string) => h.call("mutation", "account.changePassword", { currentPassword: PASSWORD, newPassword: next }, token);
    const results = await Promise.all([change("first-new-password"), change("second-new-password")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.error?.message).toMatch(/^Your password was changed by another request at the same time/);
    const winner = results[0]?.status === 200 ? "first-new-password" : "second-new-password";
    expect(await readStatus(h, await signIn(h, user.email, winner))).toBe(200);
  });

  it("changing a role ends the user's sessions, and the next sign-in has the new role", async () => {
    const user = await newUser(h, "operator");
    const old = await signIn(h, user.email);
    const res = await h.call<{ user: { role: string }; sessionsEnded: number }>("mutation", "users.setRole", { id: user.id, role: "viewer" }, admin);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ user: { role: "viewer" }, sessionsEnded: 1 });
    expect(await readStatus(h, old)).toBe(401);
    const fresh = await signIn(h, user.email);
    expect((await h.call<{ user: { role: string } }>("query", "auth.me", undefined, fresh)).data?.user.role).toBe("viewer");
    expect(await lastOperation(h, "user.role")).toMatchObject({ details: { userId: user.id, from: "operator", to: "viewer" } });

    const unknown = await h.call("mutation", "users.setRole", { id: "no-such-user", role: "viewer" }, admin);
    expect(unknown.status).toBe(404);
    const badRole = await h.call("mutation", "users.setRole", { id: user.id, role: "owner" }, admin);
    expect(badRole.status).toBe(400);
  });

  it("changes the own password only with the current one, ending the user's other sessions", async () => {
    const user = await newUser(h, "viewer");
    const here = await signIn(h, user.email);
    const elsewhere = await signIn(h, user.email);

    const wrong = await h.call("mutation", "account.changePassword", { currentPassword: "not-it", newPassword: "new-password-1" }, here);
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toBe("Current password is incorrect.");
    expect(wrong.error?.data.details?.rejected?.[0]?.path).toBe("currentPassword");
    const same = await h.call("mutation", "account.changePassword", { currentPassword: PASSWORD, newPassword: PASSWORD }, here);
    expect(same.status).toBe(400);
    expect(same.error?.data.details?.rejected?.[0]?.path).toBe("newPassword");
    expect(await readStatus(h, elsewhere)).toBe(200);

    const res = await h.call("mutation", "account.changePassword", { currentPassword: PASSWORD, newPassword: "new-password-1" }, here);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ sessionsEnded: 1 });
    expect(await readStatus(h, here)).toBe(200);
    expect(await readStatus(h, elsewhere)).toBe(401);
    expect((await h.call("mutation", "auth.signIn", { email: user.email, password: PASSWORD })).status).toBe(401);
    expect(await readStatus(h, await signIn(h, user.email, "new-password-1"))).toBe(200);
    expect(await lastOperation(h, "user.password")).toMatchObject({ actor: user.email, details: { userId: user.id, sessionsEnded: 1 } });

    expect((await h.call("mutation", "account.changePassword", { currentPassword: "x", newPassword: "new-password-2" })).status).toBe(401);
  });

  it("slows guessing the current password like failed sign-ins", async () => {
    const user = await newUser(h, "viewer");
    const token = await signIn(h, user.email);
    const from = { headers: { [PEER_HEADER]: "192.0.2.44" } };
    const statuses: number[] = [];
    for (let i = 0; i < 20 && !statuses.includes(429); i++) {
      statuses.push((await h.call("mutation", "account.changePassword", { currentPassword: `guess-${i}`, newPassword: "new-password-1" }, token, from)).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 400)).toBe(true);
  });

  it("refuses what an admin's requests in flight ask once the admin is disabled or demoted", async () => {
    const adminId = (await h.call<{ user: { id: string } }>("query", "auth.me", undefined, admin)).data!.user.id;
    const target = await newUser(h, "viewer");
    const stateOf = async (id: string) => (await listUsers(h.db)).find((u) => u.id === id);

    // B's requests began while B was an active admin; B is disabled before they reach the database.
    const b = await newUser(h, "admin");
    const asB = h.callerFor({ id: b.id, email: b.email, name: "admin", role: "admin" });
    expect((await h.call("mutation", "users.disable", { id: b.id }, admin)).status).toBe(200);
    await expect(asB.users.enable({ id: b.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(asB.users.setRole({ id: target.id, role: "admin" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Nor may B leave itself a new admin account behind.
    const spare = `spare-${target.id}@example.com`;
    await expect(asB.users.create({ email: spare, name: "Spare", password: "spare-password", role: "admin" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await listUsers(h.db)).some((u) => u.email === spare)).toBe(false);
    expect((await stateOf(b.id))?.disabledAt).toBeInstanceOf(Date);
    expect((await stateOf(target.id))?.role).toBe("viewer");

    // C is demoted instead.
    const c = await newUser(h, "admin");
    const asC = h.callerFor({ id: c.id, email: c.email, name: "admin", role: "admin" });
    expect((await h.call("mutation", "users.setRole", { id: c.id, role: "operator" }, admin)).status).toBe(200);
    await expect(asC.users.disable({ id: target.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(asC.users.setRole({ id: c.id, role: "admin" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await stateOf(c.id)).toMatchObject({ role: "operator" });
    expect((await stateOf(target.id))?.disabledAt).toBeNull();

    // An active admin still acts.
    expect((await setUserDisabled(h.db, adminId, target.id, true)).changed).toBe(true);
  });

  it("signs out everywhere: every session of the user ends, this one too", async () => {
    const user = await newUser(h, "operator");
    const here = await signIn(h, user.email);
    const elsewhere = await signIn(h, user.email);
    const other = await signIn(h, (await newUser(h, "viewer")).email);
    const res = await h.call("mutation", "account.signOutEverywhere", undefined, here);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ sessionsEnded: 2 });
    expect(res.setCookie).toMatch(/^sc_session=; .*Max-Age=0/);
    expect(await readStatus(h, here)).toBe(401);
    expect(await readStatus(h, elsewhere)).toBe(401);
    expect(await readStatus(h, other)).toBe(200);
    expect(await lastOperation(h, "user.sign_out_everywhere")).toMatchObject({ actor: user.email, details: { sessionsEnded: 2 } });
    expect((await h.call("mutation", "account.signOutEverywhere")).status).toBe(401);
  });

  async function emailOfAdmin(): Promise<string> {
    return (await h.call<{ user: { email: string } }>("query", "auth.me", undefined, admin)).data!.user.email;
  }
});

describe("the last active admin", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 0 });
  });
  afterAll(async () => {
    await h.close();
  });

  it("cannot be disabled or demoted, so someone can always manage users", async () => {
    const first = await newUser(h, "admin");
    const token = await signIn(h, first.email);
    for (const [path, input] of [
      ["users.disable", { id: first.id }],
      ["users.setRole", { id: first.id, role: "operator" }],
    ] as const) {
      const res = await h.call("mutation", path, input, token);
      expect(res.status, path).toBe(409);
      expect(res.error?.message).toMatch(new RegExp(`^${first.email} is the last active admin: make another user an admin before `));
    }
    expect(await readStatus(h, token)).toBe(200);

    // A disabled admin is not one who can act: disabling the second leaves the first the last again.
    const second = await newUser(h, "admin");
    expect((await h.call("mutation", "users.disable", { id: second.id }, token)).status).toBe(200);
    expect((await h.call("mutation", "users.setRole", { id: first.id, role: "viewer" }, token)).status).toBe(409);
    expect((await h.call("mutation", "users.enable", { id: second.id }, token)).status).toBe(200);

    const demoted = await h.call("mutation", "users.setRole", { id: first.id, role: "viewer" }, token);
    expect(demoted.status).toBe(200);
    expect(await readStatus(h, token)).toBe(401);
  });

  it("stays when two admins step down at the same moment", async () => {
    const a = await newUser(h, "admin");
    const b = await newUser(h, "admin");
    const others = (await listUsers(h.db)).filter((u) => u.role === "admin" && u.disabledAt === null && u.id !== a.id && u.id !== b.id);
    for (const u of others) await setUserRole(h.db, a.id, u.id, "viewer");
    const results = await Promise.allSettled([setUserRole(h.db, a.id, a.id, "viewer"), setUserRole(h.db, b.id, b.id, "viewer")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")?.reason).toMatchObject({ code: "conflict" });
    expect((await listUsers(h.db)).filter((u) => u.role === "admin" && u.disabledAt === null)).toHaveLength(1);
  });
});
