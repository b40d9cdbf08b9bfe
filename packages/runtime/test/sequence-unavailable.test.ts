import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ShardcastError } from "@shardcast/core";
import { createRedis } from "../src/redis.ts";
import { SequenceAllocator, sequenceKeys } from "../src/sequence.ts";
import { testRedisUrl } from "../src/testing/env.ts";
import { markStore } from "./sequence-harness.ts";

const redis = createRedis(testRedisUrl());
afterAll(() => redis.quit());

/**
 * A Redis that loses a stream's counter again each time it is re-seeded (one being reset or
 * failed over over and over): the allocator gives up after a few rounds. That is transient, so
 * the ingest and read paths must answer `unavailable` (503, retry), not an unexpected error (500).
 */
describe("SequenceAllocator while Redis keeps losing its counters", () => {
  let prefix: string;
  beforeEach(() => {
    prefix = `t-${randomUUID()}`;
    return async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    };
  });

  /** An allocator whose stream had numbers reserved before (so a missing counter is a re-seed), its counter dropped at every re-seed. */
  function lossyAllocator(streamId: string) {
    const store = markStore();
    store.marks.set(streamId, 1_000);
    let reseeds = 0;
    const alloc = new SequenceAllocator(redis, {
      prefix,
      reserve: store.reserve,
      step: 100,
      onReseed: (id) => {
        reseeds++;
        // Same connection, so the DEL reaches Redis before the allocator's next script.
        void redis.del(sequenceKeys(prefix, id).counter);
      },
    });
    return { alloc, reseeds: () => reseeds };
  }

  it("answers an allocation with a retryable `unavailable`", async () => {
    const { alloc, reseeds } = lossyAllocator("s1");
    try {
      const err: unknown = await alloc.allocate("s1", 1).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ShardcastError);
      expect(err).toMatchObject({ code: "unavailable", message: expect.stringMatching(/used up or lost.*retry/) as unknown });
      expect(reseeds()).toBeGreaterThan(1);
    } finally {
      await alloc.stop();
    }
  });

  it("answers a watermark with a retryable `unavailable`", async () => {
    const { alloc, reseeds } = lossyAllocator("s2");
    try {
      const err: unknown = await alloc.watermark("s2").then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ShardcastError);
      expect(err).toMatchObject({ code: "unavailable", message: expect.stringMatching(/empty Redis.*retry/) as unknown });
      expect(reseeds()).toBeGreaterThan(1);
    } finally {
      await alloc.stop();
    }
  });
});
