import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShardcastError } from "@shardcast/core";
import { createUser, listOperations, listUsers } from "@shardcast/db";
import { MAX_BATCH_CALLS } from "../src/batch-limit.ts";
import { createHashGate, DEFAULT_HASH_GATE } from "../src/hash-gate.ts";
import { PEER_HEADER } from "../src/request-origin.ts";
import { SESSION_COOKIE } from "../src/session-cookie.ts";
import { createSignInLimiter, DEFAULT_SIGN_IN_POLICY, signInSourceKey, type SignInPolicy } from "../src/sign-in-limiter.ts";
import { CONSOLE_ORIGIN, startHarness, type Harness } from "./harness.ts";

/** Guessing at scale: many addresses, parallel attempts, batches, and the hashing they cost. */

const fail = () => Promise.resolve(null);
const succeed = () => Promise.resolve("user");

/** "failed", "user", or the message of a refusal. */
async function outcome(attempt: Promise<string | null>): Promise<string> {
  try {
    return (await attempt) ?? "failed";
  } catch (err) {
    if (err instanceof ShardcastError) return err.message;
    throw err;
  }
}

/** A promise settled from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("sign-in limits", () => {
  let h: Harness;
  // Only the rule under test: no test here waits for a hashing turn unless it is about the gate.
  const wideGate = createHashGate({ running: 100, waiting: 0, waitMs: 0 });
  const limiterWith = (policy: Partial<SignInPolicy>) =>
    createSignInLimiter(h.redis, h.freshPrefix("limits"), { ...DEFAULT_SIGN_IN_POLICY, ...policy }, wideGate);

  beforeAll(async () => {
    // Few free failures and long waits: a held-back sign-in stays held back however slow the machine.
    h = await startHarness({ hosts: 0, signInPolicy: { freeFailures: 2, firstWaitSec: 600 } });
    // Until the connection is ready the limiter uses process memory (its fallback for outages).
    await h.redis.ping();
  });
  afterAll(async () => {
    await h.close();
  });

  it("counts an IPv6 /64 as one source and an IPv4 address as itself", () => {
    expect(signInSourceKey("2001:db8:0:7::1")).toBe("2001:db8:0:7::/64");
    expect(signInSourceKey("2001:DB8:0:7:ffff:ffff:ffff:ffff")).toBe("2001:db8:0:7::/64");
    expect(signInSourceKey("2001:db8::7:0:0:0:1")).toBe("2001:db8:0:7::/64");
    expect(signInSourceKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(signInSourceKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(signInSourceKey("192.0.2.1")).toBe("192.0.2.1");
    expect(signInSourceKey("unknown")).toBe("unknown");
  });

  it("limits one address (an IPv6 /64) whatever the emails, before the password is checked", async () => {
    const limiter = limiterWith({ addressFailureCap: 4 });
    // Successes give their count back: users behind one address are not held back by each other.
    for (let i = 1; i <= 6; i++) expect(await outcome(limiter.attempt(`ok${i}@example.com`, `2001:db8:0:7::${i}`, succeed))).toBe("user");
    for (let i = 1; i <= 4; i++) expect(await outcome(limiter.attempt(`a${i}@example.com`, `2001:db8:0:7::${i}`, fail))).toBe("failed");
    let checked = 0;
    const counted = () => {
      checked++;
      return fail();
    };
    // A fresh address of the same /64, a fresh email: still the same source.
    expect(await outcome(limiter.attempt("a5@example.com", "2001:db8:0:7:abcd::5", counted))).toMatch(/^Too many failed sign-ins from your address\. Try again in 15 min\.$/);
    expect(checked).toBe(0);
    // An email signed in to from there before is not held back by the others at that address.
    expect(await outcome(limiter.attempt("ok1@example.com", "2001:db8:0:7::9", counted))).toBe("failed");
    // Another /64 and another IPv4 address are other sources.
    expect(await outcome(limiter.attempt("a5@example.com", "2001:db8:0:8::1", counted))).toBe("failed");
    expect(await outcome(limiter.attempt("a6@example.com", "192.0.2.1", counted))).toBe("failed");
    expect(checked).toBe(3);
  });

  it("checks only the free guesses of a burst at one email from many addresses of one /64", async () => {
    const limiter = limiterWith({});
    let checked = 0;
    const slowFail = async () => {
      checked++;
      await new Promise((resolve) => setImmediate(resolve));
      return null;
    };
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => outcome(limiter.attempt("one@example.com", `2001:db8:9:9::${i + 1}`, slowFail))));
    // The free failures and the one attempt the first wait allows.
    expect(checked).toBe(DEFAULT_SIGN_IN_POLICY.freeFailures + 1);
    expect(results.filter((r) => r === "failed")).toHaveLength(DEFAULT_SIGN_IN_POLICY.freeFailures + 1);
  });

  it("over the email cap, gives every address one check per wait: attackers are slowed, the user is never locked out", async () => {
    const limiter = limiterWith({ emailFailureCap: 6 });
    const email = "capped@example.com";
    expect(await outcome(limiter.attempt(email, "192.0.2.200", succeed))).toBe("user");
    let checked = 0;
    const counted = () => {
      checked++;
      return fail();
    };
    // The cap, spent from four IPv6 /64s.
    for (let i = 0; i < 6; i++) expect(await outcome(limiter.attempt(email, `2001:db8:${i % 4}::1`, counted))).toBe("failed");
    // Over it, a burst from one more address gets a single check and no free failures...
    const burst = await Promise.all(Array.from({ length: 10 }, () => outcome(limiter.attempt(email, "198.51.100.9", counted))));
    expect(checked).toBe(7);
    expect(burst.filter((r) => r === "failed")).toHaveLength(1);
    expect(burst.filter((r) => r.startsWith("Too many failed sign-ins for this email from your address."))).toHaveLength(9);
    // An address that had failures under the cap loses its free ones: one check, then a wait that
    // grows with the email's failures beyond the cap (two) as well as its own (three): 2^5 s.
    expect(await outcome(limiter.attempt(email, "2001:db8:0::1", counted))).toBe("failed");
    expect(await outcome(limiter.attempt(email, "2001:db8:0::1", counted))).toBe("Too many failed sign-ins for this email from your address. Try again in 32 s.");
    // The user, from addresses the email has never signed in from, is checked and gets in.
    expect(await outcome(limiter.attempt(email, "203.0.113.77", succeed))).toBe("user");
    expect(await outcome(limiter.attempt(email, "2001:db8:77::1", succeed))).toBe("user");
    // So does the user's usual address.
    expect(await outcome(limiter.attempt(email, "192.0.2.200", succeed))).toBe("user");
    expect(checked).toBe(8);
  });

  it("counts the first admin's setup address as one they sign in from", async () => {
    const email = `first-${randomUUID().slice(0, 8)}@example.com`;
    const setupFrom = { [PEER_HEADER]: "192.0.2.45", origin: CONSOLE_ORIGIN };
    const fresh = await startHarness({ hosts: 0, signInPolicy: { addressFailureCap: 2 } });
    try {
      await fresh.redis.ping();
      const setup = await fresh.call("mutation", "auth.setupAdmin", { email, name: "First", password: "first-admin-password" }, null, { headers: setupFrom });
      expect(setup.status).toBe(200);
      // Someone else at the same address spends its failures...
      for (const other of ["x@example.com", "y@example.com"]) {
        expect((await fresh.call("mutation", "auth.signIn", { email: other, password: "guess" }, null, { headers: setupFrom })).status).toBe(401);
      }
      expect((await fresh.call("mutation", "auth.signIn", { email: "z@example.com", password: "guess" }, null, { headers: setupFrom })).status).toBe(429);
      // ...without holding back the admin, who has not signed in there yet but set the console up there.
      expect((await fresh.call("mutation", "auth.signIn", { email, password: "first-admin-password" }, null, { headers: setupFrom })).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it("runs a bounded number of password checks at once and refuses the rest unchecked, with a time to retry", async () => {
    const gate = createHashGate({ running: 2, waiting: 2, waitMs: 60_000 });
    const limiter = createSignInLimiter(h.redis, h.freshPrefix("gate"), DEFAULT_SIGN_IN_POLICY, gate);
    const release = deferred();
    let checked = 0;
    let refused = 0;
    // Resolves once the refusals are in, or as soon as more checks run than the gate allows.
    const settledEnough = deferred();
    const blockedFail = async () => {
      if (++checked > 2) settledEnough.resolve();
      await release.promise;
      return null;
    };
    const attempts = Array.from({ length: 10 }, (_, i) =>
      limiter.attempt(`gate${i}@example.com`, `198.51.100.${100 + i}`, blockedFail).then(
        () => "checked" as const,
        (err: unknown) => {
          if (++refused === 6) settledEnough.resolve();
          return err;
        },
      ),
    );
    await settledEnough.promise;
    expect(checked).toBe(2);
    release.resolve();
    const results = await Promise.all(attempts);
    // The two waiting ones got their turn.
    expect(checked).toBe(4);
    const refusals = results.filter((r) => r !== "checked");
    expect(refusals).toHaveLength(6);
    for (const r of refusals) expect(r).toMatchObject({ code: "unavailable", details: { retryAfterMs: 1000 } });

    // A check that waited too long for its turn is refused too.
    const short = createHashGate({ running: 1, waiting: 1, waitMs: 20 });
    const held = deferred<string>();
    const first = short.run(() => held.promise);
    await expect(short.run(() => Promise.resolve("second"))).rejects.toMatchObject({ code: "unavailable" });
    held.resolve("first");
    expect(await first).toBe("first");
    expect(await short.run(() => Promise.resolve("third"))).toBe("third");
  });

  it("answers a sign-in with no hashing turn free 503 with Retry-After, without checking its password", async () => {
    const email = `busy-${randomUUID().slice(0, 8)}@example.com`;
    await createUser(h.db, { email, name: "Busy", password: "busy-password", role: "viewer" });
    const release = deferred();
    const taken = Array.from({ length: DEFAULT_HASH_GATE.running + DEFAULT_HASH_GATE.waiting }, () => h.hashGate.run(() => release.promise).catch(() => undefined));
    const busy = await h.call("mutation", "auth.signIn", { email, password: "busy-password" });
    release.resolve();
    await Promise.all(taken);
    expect(busy.status).toBe(503);
    expect(busy.retryAfter).toBe("1");
    expect(busy.error?.data.scCode).toBe("unavailable");
    expect(busy.setCookie).toBeNull();
    expect((await listUsers(h.db)).find((u) => u.email === email)?.lastLoginAt).toBeNull();
    expect(h.logLines.some((l) => l.includes("sign-in refused") && l.includes(email))).toBe(true);
    // The refusal did not count against the user.
    expect((await h.call("mutation", "auth.signIn", { email, password: "busy-password" })).status).toBe(200);

    // Every open turn taken again (a flood from fresh addresses): the source that signed in
    // before takes the reserved turn; one more fresh check is still refused.
    const again = deferred();
    const flood = Array.from({ length: DEFAULT_HASH_GATE.running + DEFAULT_HASH_GATE.waiting }, () => h.hashGate.run(() => again.promise).catch(() => undefined));
    await expect(h.hashGate.run(() => Promise.resolve("fresh"))).rejects.toMatchObject({ code: "unavailable" });
    const owner = await h.call("mutation", "auth.signIn", { email, password: "busy-password" });
    again.resolve();
    await Promise.all(flood);
    expect(owner.status).toBe(200);
    expect(owner.setCookie).not.toBeNull();
  });

  it("holds an IPv6 /64 to one source through the console API", async () => {
    const email = `v6-${randomUUID().slice(0, 8)}@example.com`;
    const from = (i: number) => ({ headers: { [PEER_HEADER]: `2001:db8:5:5::${i.toString(16)}` } });
    for (let i = 1; i <= 2; i++) {
      expect((await h.call("mutation", "auth.signIn", { email, password: `guess-${i}` }, null, from(i))).status).toBe(401);
    }
    const next = await h.call("mutation", "auth.signIn", { email, password: "guess-next" }, null, from(0xbeef));
    expect(next.status).toBe(429);
    expect(next.error?.message).toMatch(/^Too many failed sign-ins for this email from your address\./);
  });

  it("checks one sign-in per request: the others of a batch are refused, and so is a batch over the size limit", async () => {
    const email = `batch-${randomUUID().slice(0, 8)}@example.com`;
    const batch = (n: number) =>
      new Request(`${CONSOLE_ORIGIN}/api/trpc/${Array<string>(n).fill("auth.signIn").join(",")}?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json", host: new URL(CONSOLE_ORIGIN).host, origin: CONSOLE_ORIGIN, [PEER_HEADER]: "192.0.2.99" },
        body: JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: { email: `${i}-${email}`, password: "guess" } }]))),
      });
    const two = (await (await h.send(batch(2))).json()) as Array<{ error?: { json: { message: string; data: { code: string } } } }>;
    expect(two.map((a) => a.error?.json.data.code).sort()).toEqual(["BAD_REQUEST", "UNAUTHORIZED"]);
    expect(two.find((a) => a.error?.json.data.code === "BAD_REQUEST")?.error?.json.message).toBe("Send one sign-in per request, not several in a batch.");

    const many = await h.send(batch(MAX_BATCH_CALLS + 1));
    expect(many.status).toBe(400);
    expect(await many.text()).toContain("Batch call exceeds maximum size");
    // One password was checked in all: one failed sign-in recorded.
    const failures = (await listOperations(h.db, { limit: 100, kind: "user.sign_in" })).filter((op) => op.message.endsWith(email));
    expect(failures).toHaveLength(1);
  });

  it("checks one current password per request: a batch of password changes is refused but for one", async () => {
    const token = await h.sessionFor("viewer");
    const change = (i: number) => ({ json: { currentPassword: `guess-${i}`, newPassword: `new-password-${i}` } });
    const req = new Request(`${CONSOLE_ORIGIN}/api/trpc/account.changePassword,account.changePassword?batch=1`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        host: new URL(CONSOLE_ORIGIN).host,
        origin: CONSOLE_ORIGIN,
        cookie: `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
        [PEER_HEADER]: "192.0.2.98",
      },
      body: JSON.stringify({ 0: change(0), 1: change(1) }),
    });
    const answers = (await (await h.send(req, token)).json()) as Array<{ error?: { json: { message: string } } }>;
    expect(answers.map((a) => a.error?.json.message).sort()).toEqual(["Current password is incorrect.", "Send one sign-in per request, not several in a batch."]);
  });

  it("writes down the email of a failed sign-in only when it is an address", async () => {
    const typed = `secret-typed-in-the-wrong-box-${randomUUID().slice(0, 8)}`;
    const res = await h.call("mutation", "auth.signIn", { email: typed, password: "guess" }, null, { headers: { [PEER_HEADER]: "192.0.2.97" } });
    expect(res.status).toBe(401);
    const ops = await listOperations(h.db, { limit: 100, kind: "user.sign_in" });
    expect(ops.filter((op) => JSON.stringify(op).includes(typed))).toEqual([]);
    expect(ops.find((op) => op.message === "failed sign-in as a malformed email")?.details).toMatchObject({ emailMalformed: true, emailLength: typed.length });
    expect(h.logLines.filter((line) => line.includes(typed))).toEqual([]);
  });
});
