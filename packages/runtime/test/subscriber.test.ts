import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis, keepSubscribed } from "../src/redis.ts";
import { testRedisUrl } from "../src/testing/env.ts";
import { waitFor } from "@shardcast/core/testing";

/**
 * A subscriber whose resubscribe after a reconnect fails must report it, not leave a rejected
 * promise nobody handles (which ends a Node process). Redis refuses the resubscribe here for real:
 * the test's own ACL user loses its channel permission, which makes Redis drop the subscribed
 * connection, and its SUBSCRIBE on reconnecting answers NOPERM.
 */
describe("keepSubscribed", () => {
  const id = randomBytes(4).toString("hex");
  const user = `sc_test_sub_${id}`;
  const password = randomBytes(12).toString("hex");
  const channel = `sc_test_${id}:events`;
  let admin: Redis;
  let sub: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    admin = createRedis(testRedisUrl());
    await admin.call("ACL", "SETUSER", user, "on", `>${password}`, "~*", "&*", "+@all");
  });
  afterAll(async () => {
    sub?.disconnect();
    await admin.call("ACL", "DELUSER", user);
    await admin.quit();
    process.off("unhandledRejection", onUnhandled);
  });

  it("reports a refused resubscribe and subscribes again after the next reconnect", async () => {
    const url = new URL(testRedisUrl());
    url.username = user;
    url.password = password;
    sub = createRedis(url.toString(), { subscriber: true });
    sub.on("error", () => undefined); // connection errors while Redis drops it are expected here
    const messages: string[] = [];
    sub.on("message", (_ch: string, message: string) => messages.push(message));
    const errors: unknown[] = [];
    await keepSubscribed(sub, [channel], (err) => errors.push(err));

    await admin.publish(channel, "first");
    await waitFor("the first message", () => messages.includes("first"));

    // Channel permission gone: Redis drops the subscriber, which reconnects and is refused.
    await admin.call("ACL", "SETUSER", user, "resetchannels");
    await waitFor("the refused resubscribe to be reported", () => errors.length > 0, 10_000);
    expect(String(errors[0])).toMatch(/NOPERM/);

    // Permission back; the next reconnect subscribes again.
    await admin.call("ACL", "SETUSER", user, "&*");
    await admin.call("CLIENT", "KILL", "USER", user);
    let n = 0;
    await waitFor(
      "a message after the resubscribe",
      async () => {
        await admin.publish(channel, `again-${++n}`);
        return messages.some((m) => m.startsWith("again-"));
      },
      10_000,
    );
    expect(unhandled).toEqual([]);
  });

  it("refuses a connection that would also resubscribe on its own", () => {
    const plain = createRedis(testRedisUrl());
    try {
      expect(() => keepSubscribed(plain, [channel], () => undefined)).toThrow(/autoResubscribe/);
    } finally {
      plain.disconnect();
    }
  });
});
