import { getStreamByName, listShards, loadRoutes, reserveSequence } from "@shardcast/db";
import { createLogger, SequenceAllocator } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import { RoutingCache } from "../src/routing-cache.ts";
import type { Harness } from "./harness.ts";

/**
 * The routing cache and sequence allocator a read service or range reader is built on, for tests
 * that wrap the hosts' answers in their own reader instead of going through a whole edge.
 */
export function readParts(h: Harness, redis: Redis): { routing: RoutingCache; sequences: SequenceAllocator } {
  const routing = new RoutingCache(
    {
      streamByName: async (name) => {
        const s = await getStreamByName(h.db, name);
        return s ? { id: s.id, name: s.name, keyField: s.keyField } : null;
      },
      routes: (streamId) => loadRoutes(h.db, streamId),
      shards: (streamId) => listShards(h.db, streamId),
    },
    createLogger({ app: "edge-test" }, { level: "error" }),
  );
  const sequences = new SequenceAllocator(redis, { prefix: h.prefix, reserve: (s, atLeast, step) => reserveSequence(h.db, s, atLeast, step) });
  return { routing, sequences };
}
