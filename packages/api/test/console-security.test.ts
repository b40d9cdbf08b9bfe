import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@shardcast/db";
import { ShardcastError } from "@shardcast/core";
import { createRedis } from "@shardcast/runtime";
import { createHashGate } from "../src/hash-gate.ts";
import { createSignInLimiter, DEFAULT_SIGN_IN_POLICY, signInPairKey, signInWaitPrefix, type SignInPolicy } from "../src/sign-in-limiter.ts";
import { CONSOLE_ORIGIN, REDIS_URL, startHarness, tokenFrom, type Harness } from "./harness.ts";

const PEER = "x-shardcast-peer";

describe("console security", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1, trustProxy: "10.0.0.1", allowedHosts: "console.test, console.example.com" });
  });
  afterAll(async () => {
    await h.close();
  });

  describe("cross-origin mutations", () => {
    it("refuses a mutation from another origin or without one, and keeps accepting the console's own", async () => {
      const operator = await h.sessionFor("operator");
      const input = { name: `s-${randomUUID().slice(0, 6)}`, shardCount: 1 };
      const foreign = await h.call("mutation", "streams.create", input, operator, { headers: { origin: "https://evil.example" } });
      expect(foreign.status).toBe(403);
      expect(foreign.error?.message).toBe("Refused a cross-origin request from https://evil.example: changes are only accepted from the console's own pages.");
      const missing = await h.call("mutation", "streams.create", input, operator, { headers: { origin: null } });
      expect(missing.status).toBe(403);
      expect(missing.error?.message).toMatch(/without an Origin header/);
      const viaReferer = await h.call("mutation", "streams.create", input, operator, { headers: { origin: null, referer: `${CONSOLE_ORIGIN}/streams` } });
      expect(viaReferer.status).toBe(200);
      expect(h.logLines.some((l) => l.includes("cross-origin mutation refused") && l.includes("evil.example"))).toBe(true);
      // Reads change nothing and stay available without an Origin.
      expect((await h.call("query", "streams.list", undefined, operator)).status).toBe(200);
    });

    it("covers sign-in and sign-out", async () => {
      const email = `x-${randomUUID().slice(0, 8)}@example.com`;
      await createUser(h.db, { email, name: "X", password: "right-password", role: "viewer" });
      const signIn = await h.call("mutation", "auth.signIn", { email, password: "right-password" }, null, { headers: { origin: "https://evil.example" } });
      expect(signIn.status).toBe(403);
      expect(signIn.setCookie).toBeNull();
      const token = tokenFrom((await h.call("mutation", "auth.signIn", { email, password: "right-password" })).setCookie);
      expect(token).toBeTruthy();
      const signOut = await h.call("mutation", "auth.signOut", undefined, token, { headers: { origin: null } });
      expect(signOut.status).toBe(403);
      expect(signOut.setCookie).toBeNull();
      expect((await h.call<{ user: unknown }>("query", "auth.me", undefined, token)).data?.user).not.toBeNull();
    });

    it("compares with the scheme and host a trusted proxy reports, not one a client claims", async () => {
      const email = `p-${randomUUID().slice(0, 8)}@example.com`;
      await createUser(h.db, { email, name: "P", password: "right-password", role: "viewer" });
      const behindProxy = {
        [PEER]: "10.0.0.1",
        host: "10.0.0.2:3000",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "console.example.com",
        "x-forwarded-for": "203.0.113.9",
        origin: "https://console.example.com",
      };
      const viaProxy = await h.call("mutation", "auth.signIn", { email, password: "right-password" }, null, { headers: behindProxy });
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.setCookie).toMatch(/; Secure$/);
      // The same headers straight from a client are not believed.
      const direct = await h.call("mutation", "auth.signIn", { email, password: "right-password" }, null, { headers: { ...behindProxy, [PEER]: "198.51.100.7" } });
      expect(direct.status).toBe(403);
    });
  });

  describe("sign-in limiter", () => {
    it("lets the admin sign in from another source while an attacker is held back", async () => {
      const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
      await createUser(h.db, { email, name: "Admin", password: "the-admin-password", role: "admin" });
      const attacker = { [PEER]: "198.51.100.66" };
      for (let i = 0; i < DEFAULT_SIGN_IN_POLICY.freeFailures; i++) {
        expect((await h.call("mutation", "auth.signIn", { email, password: `guess-${i}` }, null, { headers: attacker })).status).toBe(401);
      }
      const held = await h.call("mutation", "auth.signIn", { email, password: "the-admin-password" }, null, { headers: attacker });
      expect(held.status).toBe(429);
      expect(held.error?.message).toMatch(/^Too many failed sign-ins for this email from your address\. Try again in \d+ s\.$/);
      expect(held.error?.data.scCode).toBe("rate_limited");
      expect(held.setCookie).toBeNull();

      const admin = await h.call("mutation", "auth.signIn", { email, password: "the-admin-password" }, null, { headers: { [PEER]: "192.0.2.10" } });
      expect(admin.status).toBe(200);
      expect(tokenFrom(admin.setCookie)).toBeTruthy();
    });

    describe("policy", () => {
      // The pair and email rules alone: the address limit and the hash gate have tests of their own.
      const policy: SignInPolicy = { ...DEFAULT_SIGN_IN_POLICY, freeFailures: 3, emailFailureCap: 6, addressFailureCap: 1000 };
      const gate = createHashGate({ running: 100, waiting: 0, waitMs: 0 });
      let prefix: string;
      let limiter: ReturnType<typeof createSignInLimiter>;
      const fail = () => Promise.resolve(null);
      const succeed = () => Promise.resolve("user");
      /** Resolves with the result, or the wait in ms when the attempt was refused. */
      const attempt = async (email: string, source: string, check: () => Promise<string | null>): Promise<string | null | { waitMs: number }> => {
        try {
          return await limiter.attempt(email, source, check);
        } catch (err) {
          if (err instanceof ShardcastError && err.code === "rate_limited") return { waitMs: err.details?.retryAfterMs as number };
          throw err;
        }
      };
      const isWait = (r: unknown): r is { waitMs: number } => typeof r === "object" && r !== null && typeof (r as { waitMs?: unknown }).waitMs === "number";
      /** Lets the pair's running wait end without waiting for it (the wait lives only in Redis). */
      const elapse = (email: string, source: string) => h.redis.del(`${signInWaitPrefix(prefix)}:${signInPairKey(email, source)}`);

      beforeAll(async () => {
        // Until the connection is ready the limiter uses process memory (its fallback for outages).
        await h.redis.ping();
        prefix = `${h.prefix}-limiter-${randomUUID().slice(0, 6)}`;
        limiter = createSignInLimiter(h.redis, prefix, policy, gate);
      });
      afterAll(async () => {
        const keys = await h.redis.keys(`${prefix}:*`);
        if (keys.length > 0) await h.redis.del(...keys);
      });

      it("backs off exponentially after the free failures", async () => {
        // A pair alone, well below the email-wide cap.
        limiter = createSignInLimiter(h.redis, prefix, { ...policy, emailFailureCap: 100 }, gate);
        const email = "grow@example.com";
        for (let i = 0; i < policy.freeFailures; i++) expect(await attempt(email, "A", fail)).toBeNull();
        const waits: number[] = [];
        for (let round = 0; round < 4; round++) {
          const refused = await attempt(email, "A", succeed);
          if (!isWait(refused)) throw new Error(`attempt ${round} was not refused: ${JSON.stringify(refused)}`);
          waits.push(refused.waitMs);
          await elapse(email, "A");
          expect(await attempt(email, "A", fail)).toBeNull();
        }
        // 1 s, 2 s, 4 s, 8 s (TTLs in Redis, so at most a few ms less).
        waits.forEach((ms, i) => expect(ms).toBeGreaterThan(1000 * 2 ** i - 100));
        waits.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(1000 * 2 ** i));
        limiter = createSignInLimiter(h.redis, prefix, policy, gate);
      });

      it("caps the wait", async () => {
        const capped = createSignInLimiter(h.redis, prefix, { ...policy, emailFailureCap: 100, maxWaitSec: 3 }, gate);
        const email = "cap@example.com";
        for (let i = 0; i < policy.freeFailures + 4; i++) {
          await elapse(email, "A");
          expect(await capped.attempt(email, "A", fail)).toBeNull();
        }
        const refused = await capped.attempt(email, "A", succeed).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(ShardcastError);
        expect((refused as ShardcastError).details?.retryAfterMs).toBeLessThanOrEqual(3000);
      });

      it("clears the pair on a success", async () => {
        const email = "reset@example.com";
        for (let i = 0; i < policy.freeFailures; i++) expect(await attempt(email, "A", fail)).toBeNull();
        await elapse(email, "A");
        expect(await attempt(email, "A", succeed)).toBe("user");
        // Free failures again, and no wait.
        for (let i = 0; i < policy.freeFailures; i++) expect(await attempt(email, "A", fail)).toBeNull();
      });

      it("keeps separate sources separate, and under an email-wide attack slows new sources but never shuts them out", async () => {
        const email = "target@example.com";
        expect(await attempt(email, "C", succeed)).toBe("user");
        for (const source of ["A1", "A2"]) {
          for (let i = 0; i < policy.freeFailures; i++) expect(await attempt(email, source, fail)).toBeNull();
          expect(isWait(await attempt(email, source, succeed))).toBe(true);
        }
        // Six failures: the email is over its cap, so a source new to it has no free failures...
        expect(await attempt(email, "B", fail)).toBeNull();
        expect(isWait(await attempt(email, "B", succeed))).toBe(true);
        // ...yet its first attempt is checked, so the user is never locked out of a new address...
        expect(await attempt(email, "D", succeed)).toBe("user");
        // ...and one the user signed in from is let through, as often as it succeeds.
        expect(await attempt(email, "C", succeed)).toBe("user");
        expect(await attempt(email, "C", succeed)).toBe("user");
      });

      it("is shared by console instances through Redis", async () => {
        const email = "shared@example.com";
        const otherConnection = createRedis(REDIS_URL);
        try {
          const otherInstance = createSignInLimiter(otherConnection, prefix, policy, gate);
          await otherConnection.ping();
          for (let i = 0; i < policy.freeFailures; i++) expect(await otherInstance.attempt(email, "A", fail)).toBeNull();
          expect(isWait(await attempt(email, "A", succeed))).toBe(true);
        } finally {
          otherConnection.disconnect();
        }
      });

      it("lets only the free attempts and one more through a burst of parallel attempts", async () => {
        const email = "burst@example.com";
        let ran = 0;
        const slowFail = async () => {
          ran++;
          await new Promise((resolve) => setImmediate(resolve));
          return null;
        };
        // The pair rule alone (the email cap holds bursts too: see sign-in-limits.test.ts).
        limiter = createSignInLimiter(h.redis, prefix, { ...policy, emailFailureCap: 100 }, gate);
        const results = await Promise.all(Array.from({ length: 20 }, () => attempt(email, "A", slowFail)));
        limiter = createSignInLimiter(h.redis, prefix, policy, gate);
        expect(ran).toBe(policy.freeFailures + 1);
        expect(results.filter((r) => r === null)).toHaveLength(policy.freeFailures + 1);
      });
    });
  });
});
