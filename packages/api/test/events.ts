import { keyHash, RoutingTable } from "@shardcast/core";
import { loadRoutes } from "@shardcast/db";
import type { Harness } from "./harness.ts";

/**
 * Stores one event per key (seq 1..n in key order) on the hosts that own the keys, through the
 * same fenced write the edge uses, so the console reads real host rows.
 */
export async function seedEvents(h: Harness, streamId: string, keys: readonly string[]): Promise<void> {
  const table = RoutingTable.build(streamId, await loadRoutes(h.db, streamId));
  const now = Date.now();
  for (const [i, key] of keys.entries()) {
    const route = table.route(key);
    const payloadJson = JSON.stringify({ i });
    const driver = await h.hosts.get(route.hostId);
    const result = await driver.fencedWrite({
      streamId,
      shardletId: route.id,
      epoch: route.epoch,
      events: [{ key, id: null, type: "test", ts: now + i, payloadJson, sizeBytes: payloadJson.length + key.length, seq: i + 1, keyHash: keyHash(key) }],
    });
    if (!result.ok) throw new Error(`fenced write rejected for ${key}`);
  }
}
