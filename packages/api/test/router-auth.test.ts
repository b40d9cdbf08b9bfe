import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERIC_INTERNAL_MESSAGE } from "../src/index.ts";
import { missingDb, startHarness, tokenFrom, unreachableDb, type Harness } from "./harness.ts";

/** Who gets in: the first run's setup, sign-in and sign-out, roles; and what an unexpected error becomes. */

describe("console api", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  describe("first run and sign-in", () => {
    it("offers setup only while there are no users, and signs the new admin in", async () => {
      expect((await h.call("query", "auth.setupNeeded")).data).toEqual({ needed: true });
      const res = await h.call<{ user: { role: string } }>("mutation", "auth.setupAdmin", {
        email: "First@Example.com",
        name: "First Admin",
        password: "a-long-password",
      });
      expect(res.status).toBe(200);
      expect(res.data?.user.role).toBe("admin");
      expect(res.setCookie).toMatch(/^sc_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
      const me = await h.call<{ user: { email: string } | null }>("query", "auth.me", undefined, tokenFrom(res.setCookie));
      expect(me.data?.user?.email).toBe("first@example.com");

      expect((await h.call("query", "auth.setupNeeded")).data).toEqual({ needed: false });
      const again = await h.call("mutation", "auth.setupAdmin", { email: "second@example.com", name: "X", password: "a-long-password" });
      expect(again.status).toBe(403);
      expect(again.error?.message).toBe("Setup is already done. Sign in instead.");
    });

    it("gives one message for an unknown email and a wrong password", async () => {
      const wrong = await h.call("mutation", "auth.signIn", { email: "first@example.com", password: "nope" });
      const unknown = await h.call("mutation", "auth.signIn", { email: "ghost@example.com", password: "nope" });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.error?.message).toBe("Email or password is incorrect.");
      expect(unknown.error?.message).toBe(wrong.error?.message);
      // A domain error like any other: the console reads the tRPC code, clients the Shardcast one.
      expect(wrong.error?.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401, scCode: "unauthenticated" });
      expect(wrong.setCookie).toBeNull();
    });

    it("signs in with any email case, and signs out", async () => {
      const res = await h.call("mutation", "auth.signIn", { email: " FIRST@example.com ", password: "a-long-password" });
      expect(res.status).toBe(200);
      const token = tokenFrom(res.setCookie);
      expect(token).toBeTruthy();
      const out = await h.call("mutation", "auth.signOut", undefined, token);
      expect(out.setCookie).toMatch(/^sc_session=; .*Max-Age=0/);
      const me = await h.call<{ user: unknown }>("query", "auth.me", undefined, token);
      expect(me.data?.user).toBeNull();
    });
  });

  describe("roles", () => {
    it("refuses anonymous callers and too-low roles with 401 and 403", async () => {
      const anonymous = await h.call("query", "streams.list");
      expect(anonymous.status).toBe(401);
      expect(anonymous.error?.message).toBe("Sign in to continue.");
      expect(anonymous.error?.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401, scCode: "unauthenticated" });
      const viewer = await h.sessionFor("viewer");
      expect((await h.call("query", "streams.list", undefined, viewer)).status).toBe(200);
      const create = await h.call("mutation", "streams.create", { name: "nope", shardCount: 1 }, viewer);
      expect(create.status).toBe(403);
      expect(create.error?.message).toBe("This action needs the operator role.");
      expect(create.error?.data).toMatchObject({ code: "FORBIDDEN", httpStatus: 403, scCode: "forbidden" });
      const operator = await h.sessionFor("operator");
      expect((await h.call("query", "apikeys.list", undefined, operator)).status).toBe(403);
      expect((await h.call("mutation", "hosts.register", { name: "x", dsn: "postgres://a@b/c" }, operator)).status).toBe(403);
    });
  });
});

describe("unexpected errors", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1, db: missingDb() });
  });
  afterAll(async () => {
    await h.close();
  });

  it("become a generic 500 and are logged without secrets", async () => {
    const res = await h.call("query", "auth.setupNeeded");
    expect(res.status).toBe(500);
    expect(res.error?.message).toBe(GENERIC_INTERNAL_MESSAGE);
    expect(JSON.stringify(res.error)).not.toContain("hunter2");
    const logged = h.logLines.filter((l) => l.includes("console api error"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("auth.setupNeeded");
    expect(h.logLines.join("\n")).not.toContain("hunter2-secret");
  });
});

describe("a control database that does not answer", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1, db: unreachableDb() });
  });
  afterAll(async () => {
    await h.close();
  });

  it("answers 503 with Retry-After (procedures and the session lookup before them), logs the outage once and no secret", async () => {
    // Any session token: its lookup is what meets the outage, before a procedure runs.
    const token = "a-session-token-that-is-looked-up-first";
    const answers = [await h.call("query", "auth.setupNeeded"), await h.call("query", "streams.list", undefined, token), await h.call("query", "auth.setupNeeded")];
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe("2");
      expect(res.error?.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503, scCode: "unavailable" });
      expect(res.error?.message).toMatch(/^database unavailable during /);
      expect(JSON.stringify(res.error)).not.toContain("hunter2");
    }
    const logged = h.logLines.filter((l) => l.includes("PostgreSQL unavailable"));
    expect(logged).toHaveLength(1);
    expect(h.logLines.filter((l) => l.includes("console api error"))).toEqual([]);
    expect(h.logLines.join("\n")).not.toContain("hunter2-secret");
  });
});
