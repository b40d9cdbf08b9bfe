import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countUsers, createUser, listOperations } from "@shardcast/db";
import { DEFAULT_HASH_GATE } from "../src/hash-gate.ts";
import { PEER_HEADER } from "../src/request-origin.ts";
import { startHarness, tokenFrom, type Harness } from "./harness.ts";

/** A fresh console: its first admin, and the operations log of signing in and out. */

const ADMIN = { email: "first-admin@example.com", name: "First", password: "first-admin-password" };

describe("first-admin setup and sign-in audit", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 0, trustProxy: "10.0.0.1", allowedHosts: "console.test, console.example.com" });
  });
  afterAll(async () => {
    await h.close();
  });

  const authOps = async () => (await listOperations(h.db, { limit: 100, kind: "user." })).reverse();

  it("refuses a page of another site whose name points at the console (DNS rebinding) and stores nothing, but answers to its own names", async () => {
    // The rebound page is same-origin with itself: its Origin matches the Host it sends.
    const rebound = { host: "rebound.example:3000", origin: "http://rebound.example:3000" };
    const setup = await h.call("mutation", "auth.setupAdmin", ADMIN, null, { headers: rebound });
    expect(setup.status).toBe(403);
    expect(setup.error?.message).toBe("Refused a request for rebound.example:3000: the console answers only to its own names. If rebound.example is one, add it to SHARDCAST_ALLOWED_HOSTS.");
    expect(setup.setCookie).toBeNull();
    // Reads too: the page learns nothing about the console.
    expect((await h.call("query", "auth.setupNeeded", undefined, null, { headers: rebound })).status).toBe(403);
    // A trusted proxy passing the foreign name on is refused the same way.
    const proxied = { [PEER_HEADER]: "10.0.0.1", host: "10.0.0.2:3000", "x-forwarded-host": "rebound.example", origin: "http://rebound.example" };
    expect((await h.call("mutation", "auth.setupAdmin", ADMIN, null, { headers: proxied })).status).toBe(403);
    expect(await countUsers(h.db)).toBe(0);
    expect(await authOps()).toEqual([]);
    expect(h.logLines.some((l) => l.includes("request for a foreign host refused") && l.includes("rebound.example"))).toBe(true);

    // The console's own names stay open: loopback, IP addresses, configured names.
    const names = ["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "192.0.2.10", "console.test", "CONSOLE.EXAMPLE.COM."];
    for (const host of names) expect((await h.call("query", "auth.setupNeeded", undefined, null, { headers: { host } })).status, host).toBe(200);
    const viaProxy = { [PEER_HEADER]: "10.0.0.1", host: "10.0.0.2:3000", "x-forwarded-host": "console.example.com" };
    expect((await h.call("query", "auth.setupNeeded", undefined, null, { headers: viaProxy })).status).toBe(200);
  });

  it("hashes a setup's password under the sign-in hashing bound: with no turn free it is 503 and stores nothing", async () => {
    const local = { host: "localhost:3000", origin: "http://localhost:3000", [PEER_HEADER]: "127.0.0.1" };
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const taken = Array.from({ length: DEFAULT_HASH_GATE.running + DEFAULT_HASH_GATE.waiting }, () => h.hashGate.run(() => held).catch(() => undefined));
    const busy = await h.call("mutation", "auth.setupAdmin", ADMIN, null, { headers: local });
    release();
    await Promise.all(taken);
    expect(busy.status).toBe(503);
    expect(busy.retryAfter).toBe("1");
    expect(busy.setCookie).toBeNull();
    expect(await countUsers(h.db)).toBe(0);
  });

  it("records the first admin's setup, sign-ins that pass or fail, and sign-outs", async () => {
    const local = { host: "localhost:3000", origin: "http://localhost:3000", [PEER_HEADER]: "127.0.0.1" };
    const setup = await h.call("mutation", "auth.setupAdmin", ADMIN, null, { headers: local });
    expect(setup.status).toBe(200);
    const setupToken = tokenFrom(setup.setCookie);
    const viewer = "viewer@example.com";
    await createUser(h.db, { email: viewer, name: "Viewer", password: "viewer-password", role: "viewer" });
    const from = { headers: { [PEER_HEADER]: "192.0.2.44" } };
    expect((await h.call("mutation", "auth.signIn", { email: viewer, password: "not-it" }, null, from)).status).toBe(401);
    expect((await h.call("mutation", "auth.signIn", { email: "nobody@example.com", password: "not-it" }, null, from)).status).toBe(401);
    const signedIn = await h.call("mutation", "auth.signIn", { email: viewer, password: "viewer-password" }, null, from);
    const token = tokenFrom(signedIn.setCookie);
    expect((await h.call("mutation", "auth.signOut", undefined, token, from)).status).toBe(200);
    expect((await h.call("mutation", "auth.signOut", undefined, setupToken, { headers: local })).status).toBe(200);
    // Signing out without a live sign-in session is no event.
    expect((await h.call("mutation", "auth.signOut", undefined, token, from)).status).toBe(200);

    const anId: unknown = expect.any(String);
    const ops = (await authOps()).map((op) => ({ kind: op.kind, status: op.status, actor: op.actor, message: op.message, details: op.details }));
    expect(ops).toEqual([
      {
        kind: "user.setup_admin",
        status: "succeeded",
        actor: ADMIN.email,
        message: `${ADMIN.email} set up the console as its first admin`,
        details: { userId: anId, address: "127.0.0.1" },
      },
      { kind: "user.sign_in", status: "failed", actor: null, message: `failed sign-in as ${viewer}`, details: { email: viewer, address: "192.0.2.44" } },
      {
        kind: "user.sign_in",
        status: "failed",
        actor: null,
        message: "failed sign-in as nobody@example.com",
        details: { email: "nobody@example.com", address: "192.0.2.44" },
      },
      { kind: "user.sign_in", status: "succeeded", actor: viewer, message: `${viewer} signed in`, details: { userId: anId, address: "192.0.2.44" } },
      { kind: "user.sign_out", status: "succeeded", actor: viewer, message: `${viewer} signed out`, details: { userId: anId, address: "192.0.2.44" } },
      { kind: "user.sign_out", status: "succeeded", actor: ADMIN.email, message: `${ADMIN.email} signed out`, details: { userId: anId, address: "127.0.0.1" } },
    ]);
    // The password never reaches the log.
    expect(JSON.stringify(ops)).not.toContain("not-it");
    expect(JSON.stringify(ops)).not.toContain("viewer-password");
  });
});
